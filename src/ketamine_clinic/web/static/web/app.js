// Small behaviours shared by every staff page. No inline script: the CSP forbids it.
//
// The server puts what this needs on <body> (web/templates/web/base.html):
//   data-sign-in-url   always: where a page goes when its session is over;
//   data-staff-events  signed in only: the WebSocket path of this person's live events;
//   data-idle-minutes  signed in only: KC_SESSION_IDLE_MINUTES.
"use strict";

(function () {
  var NOTICE_KEY = "kc-notice"; // sessionStorage: a reason to show on the next page
  var LAST_REQUEST_KEY = "kc-last-request"; // localStorage: shared by this clinic's tabs
  var CLOSE_NOT_ALLOWED = 4401; // web/consumers.py: not signed in; do not reconnect
  var IDLE_WARNING = "You will be signed out in 1 minute for inactivity";
  var SESSION_ENDED_FALLBACK = "Your session has ended. Please sign in again.";
  var MAX_RECONNECT_DELAY_MS = 30000;

  var body = document.body;
  var leaving = false;

  // A message box above the page's content; text only, so nothing typed by anyone can
  // become markup.
  function showNotice(text, kind, className) {
    var box = document.createElement("div");
    box.className = "message message-" + kind + (className ? " " + className : "");
    box.setAttribute("role", "status");
    box.textContent = text;
    var main = document.querySelector("main") || body;
    main.insertBefore(box, main.firstChild);
    return box;
  }

  // A reason left by the previous page (it was signed out while open).
  function showStoredNotice() {
    var text = null;
    try {
      text = window.sessionStorage.getItem(NOTICE_KEY);
      window.sessionStorage.removeItem(NOTICE_KEY);
    } catch (unavailable) {
      return;
    }
    if (text) {
      showNotice(text, "warning", "notice-carried");
    }
  }

  // Leave a page that may show patient data for the sign-in page. `reason` is shown
  // there when the server cannot say it itself (the session was ended elsewhere).
  function leaveForSignIn(reason) {
    if (leaving) {
      return;
    }
    leaving = true;
    if (reason) {
      try {
        window.sessionStorage.setItem(NOTICE_KEY, reason);
      } catch (unavailable) {
        // Private mode without storage: the sign-in page just shows no reason.
      }
    }
    var next = window.location.pathname + window.location.search;
    window.location.assign(body.dataset.signInUrl + "?next=" + encodeURIComponent(next));
  }

  // The person's live events (web/events.py). Reconnects with back-off after a dropped
  // connection (server restart), never after the server said the session is not valid.
  // <body data-staff-events-state> says where it stands ("connecting", "open",
  // "closed"): the server joins the page to its group before accepting, so "open" means
  // no event can be missed from then on.
  function listenForStaffEvents(path) {
    var delay = 1000;
    function open() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + window.location.host + path);
      body.dataset.staffEventsState = "connecting";
      socket.addEventListener("open", function () {
        body.dataset.staffEventsState = "open";
        delay = 1000;
      });
      socket.addEventListener("message", function (received) {
        var data;
        try {
          data = JSON.parse(received.data);
        } catch (notJson) {
          return;
        }
        if (data.event === "session.ended") {
          leaveForSignIn(data.message || SESSION_ENDED_FALLBACK);
        }
      });
      socket.addEventListener("close", function (closed) {
        body.dataset.staffEventsState = "closed";
        if (leaving || closed.code === CLOSE_NOT_ALLOWED) {
          return;
        }
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
      });
    }
    open();
  }

  // The server signs a session out after `minutes` without a request. Warn a minute
  // before; once it has lapsed, leave the page, so patient data does not stay on an
  // unattended screen. Requests made in another tab count (localStorage is shared).
  // The sign-in request itself ends the lapsed session, and the server says why.
  function watchIdleTimeout(minutes) {
    var idleMs = minutes * 60000;
    var warnAtMs = idleMs - 60000;
    var loadedAt = Date.now();
    var warning = null;
    try {
      window.localStorage.setItem(LAST_REQUEST_KEY, String(loadedAt));
    } catch (unavailable) {
      // Without storage each tab keeps its own clock.
    }
    function lastRequest() {
      var stored = null;
      try {
        stored = Number(window.localStorage.getItem(LAST_REQUEST_KEY));
      } catch (unavailable) {
        stored = null;
      }
      return stored && stored > loadedAt ? stored : loadedAt;
    }
    function check() {
      var idle = Date.now() - lastRequest();
      // A little past the server's limit, so the session has surely lapsed there too.
      if (idle >= idleMs + 2000) {
        leaveForSignIn(null);
        return;
      }
      if (idle >= warnAtMs && warning === null) {
        warning = document.createElement("div");
        warning.className = "idle-warning";
        warning.setAttribute("role", "status");
        warning.textContent = IDLE_WARNING;
        body.appendChild(warning);
      } else if (idle < warnAtMs && warning !== null) {
        warning.remove();
        warning = null;
      }
    }
    window.setInterval(check, 1000);
  }

  showStoredNotice();
  if (body.dataset.staffEvents) {
    listenForStaffEvents(body.dataset.staffEvents);
  }
  var idleMinutes = Number(body.dataset.idleMinutes);
  if (idleMinutes > 0) {
    watchIdleTimeout(idleMinutes);
  }
})();
