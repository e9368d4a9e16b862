/* Pill pass, progressively enhanced. Without this script the table's one form
   posts the row whose Record button was pressed and the page comes back at the row. With it: Enter in the prison-number box
   (a keyboard-wedge scanner types the number and Enter) finds the row without a
   reload, and each dose is recorded through the JSON API and its row updated. */
(function () {
  "use strict";
  var table = document.getElementById("pill-pass");
  var scanForm = document.getElementById("scan-form");
  var scan = document.getElementById("scan");
  var scanMsg = document.getElementById("scan-msg");
  var LABELS = {given: "given", refused: "refused", held: "held", not_available: "not available"};

  function rowsFor(number) {
    if (!table) return [];
    var wanted = number.trim().toLowerCase();
    return Array.prototype.filter.call(table.querySelectorAll("tr[data-prison-number]"), function (tr) {
      return tr.getAttribute("data-prison-number").toLowerCase() === wanted;
    });
  }

  if (scanForm && scan) {
    scanForm.addEventListener("submit", function (event) {
      var number = scan.value;
      if (!number.trim()) { event.preventDefault(); return; }
      var rows = rowsFor(number);
      event.preventDefault();
      Array.prototype.forEach.call(document.querySelectorAll(".dose-row.found"), function (tr) {
        tr.classList.remove("found");
      });
      if (!rows.length) {
        scanMsg.textContent = "No dose for " + number.trim() + " on this list.";
        scan.select();
        return;
      }
      rows.forEach(function (tr) { tr.classList.add("found"); });
      scanMsg.textContent = "Found " + number.trim() + " (" + rows.length + " dose" + (rows.length > 1 ? "s" : "") + ").";
      rows[0].scrollIntoView({block: "center"});
      var control = rows[0].querySelector("select, button");
      if (control) control.focus();
      scan.value = "";
    });
  }

  var passForm = document.getElementById("pass-form");

  function fieldValue(name) {
    var el = passForm.elements[name];
    return el && el.value.trim() ? el.value.trim() : null;
  }

  function describe(error) {
    var text = error.message || "Not recorded.";
    if (error.fields) {
      Object.keys(error.fields).forEach(function (name) {
        text += " " + name.replace(/_/g, " ") + ": " + error.fields[name].join(" ");
      });
    }
    return text;
  }

  function rowMessage(tr) {
    var msg = tr.querySelector(".row-msg");
    if (!msg) {
      msg = document.createElement("span");
      msg.className = "row-msg";
      msg.setAttribute("role", "status");
      tr.querySelector("td.rec").appendChild(msg);
    }
    return msg;
  }

  function recorded(tr, body) {
    var status = body.dose_status || body.outcome;
    tr.className = tr.className.replace(/\bstatus-\S+/, "status-" + status);
    var badge = tr.querySelector(".status-text .badge");
    if (badge) {
      badge.className = "badge status-" + status;
      badge.textContent = LABELS[status] || status;
    }
    Array.prototype.forEach.call(tr.querySelectorAll("[data-block]"), function (el) { el.remove(); });
    var note = document.createElement("small");
    note.className = "muted recorded";
    note.textContent = (LABELS[body.outcome] || body.outcome) + " by " + body.recorded_by +
      (body.witnessed_by ? ", witness " + body.witnessed_by : "") + (body.late ? " · late entry" : "");
    tr.querySelector(".status-cell").appendChild(note);
    var cell = tr.querySelector("td.rec");
    cell.textContent = "";
    var done = document.createElement("span");
    done.setAttribute("role", "status");
    done.textContent = "Recorded.";
    cell.appendChild(done);
    if (scan) scan.focus();
  }

  function record(button) {
    var id = button.value;
    var tr = button.closest("tr");
    var msg = rowMessage(tr);
    var body = {outcome: passForm.elements["o" + id].value};
    var witness = fieldValue("w" + id), reason = fieldValue("r" + id), given = fieldValue("g" + id);
    if (witness !== null) body.witnessed_by = witness;
    if (reason !== null) body.reason = reason;
    if (given !== null) body.dose_given = isNaN(Number(given)) ? given : Number(given);
    button.disabled = true;
    msg.textContent = "Saving…";
    fetch(passForm.getAttribute("data-api").replace("{id}", id), {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRF-Token": passForm.elements.csrf_token.value},
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (data) { return {ok: resp.ok, data: data}; });
    }).then(function (result) {
      if (result.ok) { recorded(tr, result.data); return; }
      button.disabled = false;
      msg.textContent = describe(result.data.error || {});
    }).catch(function () {
      button.disabled = false;
      msg.textContent = "Could not reach the server; try again (or reload).";
    });
  }

  if (passForm && window.fetch) {
    passForm.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.name !== "dose") return;   // an old browser: the plain post
      event.preventDefault();
      record(button);
    });
    // Enter in a row's field records that row (without JavaScript it records nothing).
    passForm.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
      event.preventDefault();
      var button = event.target.closest("tr").querySelector('button[name="dose"]');
      if (button && !button.disabled) record(button);
    });
  }
})();
