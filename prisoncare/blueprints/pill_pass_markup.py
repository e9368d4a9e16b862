"""The pill pass's table rows, as markup built in Python (issue 4, item 7).

A 300-row round through a Jinja loop spent most of its render time escaping ~50
values per row one by one (markupsafe makes a Markup object for each). Here each
row is one f-string with the few text values escaped (markupsafe.escape, in C), and the rows
are joined once; templates/mar/pill_pass.html keeps the page around them.

Page weight: the table sits in ONE form (templates/mar/pill_pass.html) with the CSRF
token and the way back once. A row's controls are named by its dose id (o<id>
outcome, w<id> witness, r<id> reason, g<id> dose given) and its Record button
carries the id (name="dose" value="<id>"), so a row costs no hidden inputs, no
action or data-api URL and no element ids; labels wrap their inputs (the select has
an aria-label). mar.record_from_pass reads the pressed row's fields back into the
same form dict the one-form-per-row page posted. The row message (.row-msg) is made
by static/pillpass.js when it has something to say.
"""

from markupsafe import Markup, escape

OUTCOMES = [("given", "Given"), ("refused", "Refused"), ("held", "Held"),
            ("not_available", "Not available")]
_OPTIONS = "".join(f'<option value="{key}">{text}</option>' for key, text in OUTCOMES)
_OPTIONS_BLOCKED = _OPTIONS.replace('value="given">', 'value="given" disabled>').replace(
    'value="held">', 'value="held" selected>')
_BLOCK_TEXT = {
    "review_required": "Review required: missed days reached the threshold. Do not dose "
                       "until a clinician has reviewed.",
    "dose_already_given_today": "Already given today: do not give again.",
}


def rows_markup(rows, urls, *, show_ward: bool, may_record: bool, witness: str,
                alerts: dict | None = None) -> Markup:
    """All the rows' <tr>s. `urls` maps patient/photo to the (prefix, suffix)
    around an id; without `may_record` the rows have no controls. `alerts` maps a
    patient id to her HatchAlerts (None: the user may not see them)."""
    p_head, p_tail = urls["patient"]
    f_head, f_tail = urls["photo"]
    alerts = alerts or {}
    out = []
    escaped: dict[str, str] = {}   # values many rows share (medicine, status), escaped once

    def shared(value):
        text = escaped.get(value)
        if text is None:
            text = escaped[value] = escape(value)
        return text

    controls = _controls_maker(escape(witness), shared) if may_record else None
    for r in rows:
        number, name = escape(r.prison_number), escape(r.name)
        photo = (f'<img class="photo" src="{f_head}{r.patient_id}{f_tail}" alt="Photo of {name}" '
                 f'loading="lazy" width="56" height="56"> ' if r.has_photo else "")
        ward = (f' <small class="muted">{shared(r.ward_code)}</small>'
                if show_ward and r.ward_code else "")
        extra = ""
        if r.gestation:
            extra += f'<small class="gestation">{escape(r.gestation)}</small>'
        her_alerts = alerts.get(r.patient_id)
        if her_alerts:
            extra += "".join(f'<span class="hatch-alert sev-{a.severity}"><span class='
                             f'"visually-hidden">{a.severity}: </span>{escape(a.text)}</span>'
                             for a in her_alerts)
        status = (f'<span class="status-text"><span class="badge status-{r.status}">'
                  f'{shared(r.status_text)}</span></span>')
        if r.absent_where:
            status += f'<span class="block absent-where">Absent: {shared(r.absent_where)}</span>'
        if r.recorded:
            status += f'<small class="muted recorded">{escape(r.recorded)}</small>'
        for code in ("review_required", "dose_already_given_today"):
            if code in r.blocks:
                status += f'<span class="block" data-block="{code}">{_BLOCK_TEXT[code]}</span>'
        cell = controls(r) if controls is not None and not r.recorded else ""
        out.append(
            f'<tr id="dose-{r.id}" class="dose-row status-{r.status}'
            f'{" is-absent" if r.absent_where else ""}" data-prison-number="{number}">\n<td>{r.due}</td>\n<td><strong>{number}</strong></td>\n'
            f'<td>{photo}<a href="{p_head}{r.patient_id}{p_tail}">{name}</a>{ward}{extra}</td>\n'
            f'<td>{shared(r.medicine)} <small class="muted">{r.programme}'
            f'{" · witnessed" if r.witnessed else ""}</small></td>\n'
            f'<td class="status-cell">{status}</td>\n<td class="rec">{cell}</td>\n</tr>')
    return Markup("\n".join(out))


def _controls_maker(witness: str, shared=escape):
    """An unrecorded row's controls inside the page's one form: posted by its Record
    button without JavaScript; static/pillpass.js posts them to the JSON API.
    `shared` escapes a value many rows share (the dose)."""
    def controls(r):
        i = r.id
        witness_field = (f' <label>Witness <input name="w{i}" value="{witness}" size="10">'
                         f'</label>' if r.witnessed else "")
        return (f'<select name="o{i}" aria-label="Outcome">'
                f'{_OPTIONS_BLOCKED if r.blocks else _OPTIONS}</select>{witness_field}'
                f' <label>Reason <input name="r{i}" size="12"></label>'
                f' <label>Dose given <input name="g{i}" inputmode="decimal" size="6" '
                f'placeholder="{shared(r.dose_text)}"></label>'
                f' <button name="dose" value="{i}">Record</button>')
    return controls


# The fields of one row, by the name the page gives them, as the schema knows them.
ROW_FIELDS = (("o", "outcome"), ("w", "witnessed_by"), ("r", "reason"), ("g", "dose_given"))


def row_form(form, dose_id: int) -> dict:
    """The pressed row's fields as the one-form-per-row page posted them (a witness
    only where the row has a witness field)."""
    return {field: form[f"{prefix}{dose_id}"] for prefix, field in ROW_FIELDS
            if f"{prefix}{dose_id}" in form}
