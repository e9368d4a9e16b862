"""The pill pass's table rows, as markup built in Python (issue 4, item 7).

A 300-row round through a Jinja loop spent most of its render time escaping ~50
values per row one by one (markupsafe makes a Markup object for each). Here each
row is one f-string with the few text values escaped (html.escape), and the rows
are joined once; templates/mar/pill_pass.html keeps the page around them. The
markup is exactly what the template used to write: the same classes, ids, data-
attributes and labels the tests, the browser test and static/pillpass.js use.
"""
from html import escape

from markupsafe import Markup

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


def rows_markup(rows, urls, *, show_ward: bool, csrf: str | None, back: str,
                witness: str) -> Markup:
    """All the rows' <tr>s. `urls` maps patient/record/api/photo to the (prefix,
    suffix) around an id; `csrf` is None when the user may not record (no forms)."""
    p_head, p_tail = urls["patient"]
    f_head, f_tail = urls["photo"]
    out = []
    form_of = _form_maker(urls, csrf, back, witness) if csrf is not None else None
    for r in rows:
        number, name = escape(r.prison_number), escape(r.name)
        photo = (f'<img class="photo" src="{f_head}{r.patient_id}{f_tail}" alt="Photo of {name}" '
                 f'loading="lazy" width="56" height="56"> ' if r.has_photo else "")
        ward = (f' <small class="muted">{escape(r.ward_code)}</small>'
                if show_ward and r.ward_code else "")
        status = (f'<span class="status-text"><span class="badge status-{r.status}">'
                  f'{escape(r.status_text)}</span></span>')
        if r.absent_where:
            status += f'<span class="block absent-where">Absent: {escape(r.absent_where)}</span>'
        if r.recorded:
            status += f'<small class="muted recorded">{escape(r.recorded)}</small>'
        for code in ("review_required", "dose_already_given_today"):
            if code in r.blocks:
                status += f'<span class="block" data-block="{code}">{_BLOCK_TEXT[code]}</span>'
        form = form_of(r) if form_of is not None and not r.recorded else ""
        out.append(
            f'<tr id="dose-{r.id}" class="dose-row status-{r.status}'
            f'{" is-absent" if r.absent_where else ""}" data-prison-number="{number}" '
            f'data-dose-id="{r.id}">\n<td>{r.due}</td>\n<td><strong>{number}</strong></td>\n'
            f'<td>{photo}<a href="{p_head}{r.patient_id}{p_tail}">{name}</a>{ward}</td>\n'
            f'<td>{escape(r.medicine)} <small class="muted">{r.programme}'
            f'{" · witnessed" if r.witnessed else ""}</small></td>\n'
            f'<td class="status-cell">{status}</td>\n<td>{form}</td>\n</tr>')
    return Markup("\n".join(out))


def _form_maker(urls, csrf, back, witness):
    """Each unrecorded row's plain form (POST without JavaScript; pillpass.js posts
    it to data-api instead)."""
    (r_head, r_tail), (a_head, a_tail) = urls["record"], urls["api"]
    hidden = (f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
              f'<input type="hidden" name="back" value="{escape(back)}">')
    witness = escape(witness)

    def form(r):
        i = r.id
        witness_field = (f' <label for="w-{i}">Witness</label><input id="w-{i}" '
                         f'name="witnessed_by" type="text" value="{witness}" size="10">'
                         if r.witnessed else "")
        return (
            f'<form class="record-form" method="post" action="{r_head}{i}{r_tail}" '
            f'data-api="{a_head}{i}{a_tail}" aria-label="Record dose for {escape(r.prison_number)}">'
            f'{hidden}\n<label class="visually-hidden" for="o-{i}">Outcome</label>'
            f'<select id="o-{i}" name="outcome">{_OPTIONS_BLOCKED if r.blocks else _OPTIONS}'
            f'</select>{witness_field}\n<label for="r-{i}">Reason</label><input id="r-{i}" '
            f'name="reason" type="text" size="12">\n<label for="g-{i}">Dose given</label>'
            f'<input id="g-{i}" name="dose_given" type="number" step="any" min="0" '
            f'placeholder="{escape(r.dose_text)}">\n<button type="submit">Record</button>'
            f'<span class="row-msg" role="status" aria-live="polite"></span></form>')
    return form
