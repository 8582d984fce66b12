// The tablet's behaviours: lock after inactivity, and save answers as they are given.
// No inline script (the CSP forbids it); the server puts what this needs on <body>:
//   data-idle-seconds  KC_KIOSK_IDLE_MINUTES in seconds;
//   data-locked-url    the lock screen;
//   data-draft-url     on a form page: where answers are saved as the patient goes;
//   data-locked        on the lock screen itself (no timer there).
"use strict";

(function () {
  var body = document.body;
  var RETRY_MS = 5000;
  var SAVE_DELAY_MS = 500;

  function goLocked() {
    window.location.assign(body.dataset.lockedUrl);
  }

  // Inactivity: the server locks an idle session on its next request anyway; this only
  // makes the screen follow without a touch.
  if (!body.dataset.locked && body.dataset.idleSeconds) {
    var idleMs = parseInt(body.dataset.idleSeconds, 10) * 1000;
    var timer = null;
    var resetIdle = function () {
      if (timer !== null) {
        window.clearTimeout(timer);
      }
      timer = window.setTimeout(goLocked, idleMs);
    };
    ["pointerdown", "keydown", "input", "scroll"].forEach(function (name) {
      window.addEventListener(name, resetIdle, { passive: true });
    });
    resetIdle();
  }

  var form = document.getElementById("kiosk-form");
  var draftUrl = body.dataset.draftUrl;
  if (!form || !draftUrl) {
    return;
  }
  var status = document.getElementById("kiosk-saved");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var saveTimer = null;
  var dirty = false;
  var sending = false;

  function setStatus(text) {
    status.textContent = text; // text only: nothing typed becomes markup
  }

  function answers() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.name === "csrfmiddlewaretoken") {
        return;
      }
      if (field.type === "radio") {
        if (field.checked) {
          data[field.name] = field.value;
        } else if (!(field.name in data)) {
          data[field.name] = "";
        }
      } else if (field.tagName === "TEXTAREA" || ["text", "tel", "email"].indexOf(field.type) >= 0) {
        data[field.name] = field.value;
      }
    });
    return data;
  }

  // Save the whole form (last write wins on the server). A failed save is retried until
  // it lands, so answers given while the connection dropped are not lost.
  function save() {
    if (sending) {
      dirty = true;
      return;
    }
    sending = true;
    dirty = false;
    fetch(draftUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(answers()),
    })
      .then(function (response) {
        sending = false;
        if (response.status === 204) {
          setStatus("Your answers are saved.");
          if (dirty) {
            save();
          }
        } else if (response.status === 409 || response.status === 403) {
          goLocked();
        } else {
          throw new Error("status " + response.status);
        }
      })
      .catch(function () {
        sending = false;
        setStatus("Not saved yet: trying again…");
        window.setTimeout(save, RETRY_MS);
      });
  }

  function scheduleSave() {
    if (saveTimer !== null) {
      window.clearTimeout(saveTimer);
    }
    saveTimer = window.setTimeout(save, SAVE_DELAY_MS);
  }

  form.addEventListener("change", scheduleSave);
  form.addEventListener("input", scheduleSave);
  window.addEventListener("online", save);
})();
