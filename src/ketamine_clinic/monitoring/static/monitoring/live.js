// What the room page and the central station share: the socket, number formats, the
// alarm list and the alarm sound. Hand-written, no framework, no CDN; no inline script
// (the CSP forbids it). Everything a device or a person typed is set with textContent,
// never as markup.
//
// Payloads are those of monitoring/live.py: {kind: "numerics" | "wave" | "pump" |
// "alarms", room, ...}; an invalid value is null and is shown as "---", never 0.
"use strict";

window.KCLive = (function () {
  var CLOSE_NOT_ALLOWED = 4401; // web/consumers.py: not allowed; do not reconnect
  var CLOSE_NO_SUCH_ROOM = 4404; // monitoring/consumers.py: no such room; do not reconnect
  var MAX_RECONNECT_DELAY_MS = 30000;
  var INVALID_TEXT = "---";

  // MDC codes (devices/mdc.py) the pages show.
  var CODES = {
    hr: 147842, spo2: 150456, pr: 149530, nibpSys: 150021, nibpDia: 150022,
    nibpMean: 150023, rr: 151562, temp: 150344, ecg: 131330, pleth: 150452,
  };
  // Decimals per parameter (views.PLACES): whole numbers but for temperature.
  var PLACES = {};
  PLACES[CODES.temp] = 1;
  var PUMP_PLACES = 1;
  var PRIORITY_RANK = { high: 3, medium: 2, low: 1, advisory: 0 };

  document.body.classList.add("monitor-page");

  // ---- numbers ----

  // Put a value into `el`: text, "---" (invalid) or "no data" (never received).
  // Only touches the DOM when what it shows changes: twenty rooms update every second.
  function showValue(el, value, places, present) {
    var key = !present ? "none" : value === null ? "invalid" : value.toFixed(places);
    var missingText = el.dataset.missing || "no data";
    if (el.dataset.shown === key) {
      return;
    }
    el.dataset.shown = key;
    el.textContent = "";
    if (key === "none") {
      var none = document.createElement("span");
      none.className = "no-data";
      none.textContent = missingText;
      el.appendChild(none);
    } else if (key === "invalid") {
      var bad = document.createElement("span");
      bad.className = "is-invalid-text";
      bad.title = "invalid";
      bad.textContent = INVALID_TEXT;
      el.appendChild(bad);
    } else {
      el.textContent = key;
    }
  }

  // A numerics payload as {code: value} (null = invalid); absent codes were not sent.
  function valuesOf(payload) {
    var out = {};
    (payload && payload.values ? payload.values : []).forEach(function (item) {
      out[item.code] = item.value === null || item.value === undefined ? null : Number(item.value);
    });
    return out;
  }

  // "120/80" or invalid (either half invalid) or absent; into `el`.
  function showNibp(el, values) {
    var hasSys = CODES.nibpSys in values;
    var hasDia = CODES.nibpDia in values;
    if (!hasSys && !hasDia) {
      return false;
    }
    var sys = values[CODES.nibpSys];
    var dia = values[CODES.nibpDia];
    var key = sys === null || dia === null || sys === undefined || dia === undefined
      ? "invalid" : sys.toFixed(0) + "/" + dia.toFixed(0);
    if (el.dataset.shown !== key) {
      el.dataset.shown = key;
      el.textContent = "";
      if (key === "invalid") {
        showValue(el, null, 0, true);
      } else {
        el.textContent = key;
      }
    }
    return true;
  }

  // A pump's PCD-10 event as a nurse says it (views.PUMP_EVENT_WORDS).
  var PUMP_WORDS = [["COMPLETE", "Complete"], ["START", "Infusing"], ["RESUM", "Infusing"],
    ["RATE", "Infusing (rate changed)"], ["PAUSE", "Paused"], ["STOP", "Stopped"]];
  function pumpEventText(event) {
    if (!event) {
      return "No event yet";
    }
    var upper = String(event).toUpperCase();
    for (var i = 0; i < PUMP_WORDS.length; i += 1) {
      if (upper.indexOf(PUMP_WORDS[i][0]) !== -1) {
        return PUMP_WORDS[i][1];
      }
    }
    return String(event);
  }

  // ---- staleness ----
  //
  // A value nothing has refreshed for a while is greyed and says so: a monitor that
  // stopped sending must not leave a reassuring number on the screen. Continuous
  // parameters go stale after 30 s, temperature after 5 min, NIBP (measured every few
  // minutes) after 15 min (verify against the clinic's NIBP interval).
  var STALE_MS = {};
  STALE_MS[CODES.hr] = 30000;
  STALE_MS[CODES.spo2] = 30000;
  STALE_MS[CODES.pr] = 30000;
  STALE_MS[CODES.rr] = 30000;
  STALE_MS[CODES.temp] = 300000;
  STALE_MS[CODES.nibpSys] = 900000;

  // The server's clock at render time, so a first value's own time can be read on this
  // screen's clock (the two may differ).
  var serverEl = document.querySelector("[data-server-now]");
  var serverNow = serverEl ? Date.parse(serverEl.dataset.serverNow) : NaN;
  var CLOCK_OFFSET_MS = isNaN(serverNow) ? 0 : Date.now() - serverNow;

  function localTime(iso) {
    var at = Date.parse(iso);
    return isNaN(at) ? Date.now() : at + CLOCK_OFFSET_MS;
  }

  function StaleWatch() {
    this.items = [];
    var self = this;
    window.setInterval(function () {
      self.check();
    }, 1000);
  }

  // `el` was refreshed at `atMs` (this screen's clock); stale `limitMs` later.
  StaleWatch.prototype.seen = function (el, atMs, limitMs) {
    if (el.kcLimitMs === undefined) {
      this.items.push(el);
    }
    el.kcSeenMs = atMs;
    el.kcLimitMs = limitMs;
    if (el.classList.contains("is-stale") && Date.now() - atMs <= limitMs) {
      el.classList.remove("is-stale");
    }
  };

  StaleWatch.prototype.check = function () {
    var now = Date.now();
    this.items.forEach(function (el) {
      var stale = now - el.kcSeenMs > el.kcLimitMs;
      if (el.classList.contains("is-stale") !== stale) {
        el.classList.toggle("is-stale", stale);
      }
    });
  };

  // ---- the socket ----

  // Opens `path`, hands each JSON message to `onMessage`, reconnects with back-off after
  // a drop, never after 4401 (not allowed) or 4404 (no such room). `stateEl` shows the
  // link's state (data-state: connecting, open, closed, refused).
  function connect(path, onMessage, stateEl) {
    var delay = 1000;
    var opened = false;
    var TEXT = {
      connecting: "Connecting…", open: "Live", closed: "Connection lost: reconnecting…",
    };
    function setState(state, text) {
      // Everything shown is greyed while the link is down: it is no longer live.
      document.body.classList.toggle("monitor-link-down", state === "closed" || state === "refused");
      if (stateEl) {
        stateEl.dataset.state = state;
        stateEl.textContent = text || TEXT[state];
      }
    }
    function open() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + window.location.host + path);
      setState("connecting");
      socket.addEventListener("open", function () {
        setState("open");
        if (opened) {
          // Alarms that changed while the link was down arrive with their next change;
          // until then the list may be out of date, so say so.
          var note = document.getElementById("stale-notice");
          if (note) {
            note.hidden = false;
          }
        }
        opened = true;
        delay = 1000;
      });
      socket.addEventListener("message", function (received) {
        var data;
        try {
          data = JSON.parse(received.data);
        } catch (notJson) {
          return;
        }
        onMessage(data);
      });
      socket.addEventListener("close", function (closed) {
        if (closed.code === CLOSE_NOT_ALLOWED) {
          setState("refused", "Not allowed: sign in again");
          return;
        }
        if (closed.code === CLOSE_NO_SUCH_ROOM) {
          setState("refused", "No such room");
          return;
        }
        setState("closed");
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
      });
    }
    open();
  }

  function initial() {
    var el = document.getElementById("monitor-initial");
    return el ? JSON.parse(el.textContent) : null;
  }

  // ---- alarm sound (Web Audio) ----
  //
  // IEC 60601-1-8 burst patterns: high = 10 pulses (3+2, pause, 3+2), medium = 3 pulses,
  // low = 2 pulses; the highest-priority audible alarm on the screen sounds, repeating
  // (high every 6 s, medium every 8 s, low every 20 s: inside the standard's ranges of
  // 2.5-15 s, 2.5-30 s and >15 s; verify against the clinic's monitors). Advisories are
  // silent. A browser plays audio only after a gesture on the page, so the screen starts
  // silent and says so; the toggle turns it on for this screen.
  var PATTERNS = {
    high: { hz: 880, pulseS: 0.12, repeatS: 6, at: [0, 0.2, 0.4, 0.8, 1.0, 1.9, 2.1, 2.3, 2.7, 2.9] },
    medium: { hz: 660, pulseS: 0.18, repeatS: 8, at: [0, 0.3, 0.6] },
    low: { hz: 520, pulseS: 0.2, repeatS: 20, at: [0, 0.35] },
  };

  function AlarmSound(button) {
    this.button = button;
    this.context = null;
    this.enabled = false;
    this.level = ""; // the priority sounding, "" when none is audible
    this.nextAt = 0;
    this.voices = [];
    var self = this;
    if (button) {
      button.addEventListener("click", function () {
        self.toggle();
      });
    }
    window.setInterval(function () {
      self.tick();
    }, 200);
    this.render();
  }

  AlarmSound.prototype.toggle = function () {
    if (!this.enabled && this.context === null) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) {
        this.button.textContent = "This browser cannot play alarm sounds";
        return;
      }
      this.context = new Context();
    }
    this.enabled = !this.enabled;
    if (this.enabled) {
      this.context.resume();
      this.nextAt = 0;
    } else {
      this.hush();
    }
    this.render();
  };

  // The audible alarms now (payload "active" lists of every room shown).
  AlarmSound.prototype.update = function (alarms) {
    var best = "";
    alarms.forEach(function (alarm) {
      if (alarm.audible && PATTERNS[alarm.priority] &&
        (best === "" || PRIORITY_RANK[alarm.priority] > PRIORITY_RANK[best])) {
        best = alarm.priority;
      }
    });
    if (best !== this.level) {
      var louder = best !== "" && (this.level === "" || PRIORITY_RANK[best] > PRIORITY_RANK[this.level]);
      this.level = best;
      if (best === "" || louder) {
        this.hush(); // a worse alarm starts its own burst at once
        this.nextAt = 0;
      }
      this.render();
    }
  };

  AlarmSound.prototype.hush = function () {
    this.voices.forEach(function (voice) {
      try {
        voice.stop();
      } catch (alreadyStopped) {
        // finished on its own
      }
    });
    this.voices = [];
  };

  AlarmSound.prototype.tick = function () {
    if (!this.enabled || this.level === "" || this.context === null) {
      return;
    }
    var now = this.context.currentTime;
    if (now < this.nextAt) {
      return;
    }
    var pattern = PATTERNS[this.level];
    var start = now + 0.05;
    var self = this;
    this.voices = this.voices.filter(function (voice) {
      return voice.endsAt > now;
    });
    pattern.at.forEach(function (offset) {
      self.voices.push(self.pulse(pattern, start + offset));
    });
    this.nextAt = start + pattern.repeatS;
  };

  // One pulse: a triangle tone with a short rise and fall (no clicks).
  AlarmSound.prototype.pulse = function (pattern, at) {
    var context = this.context;
    var tone = context.createOscillator();
    var gain = context.createGain();
    tone.type = "triangle";
    tone.frequency.value = pattern.hz;
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(0.35, at + 0.015);
    gain.gain.setValueAtTime(0.35, at + pattern.pulseS - 0.02);
    gain.gain.linearRampToValueAtTime(0, at + pattern.pulseS);
    tone.connect(gain);
    gain.connect(context.destination);
    tone.start(at);
    tone.stop(at + pattern.pulseS + 0.01);
    tone.endsAt = at + pattern.pulseS + 0.01;
    return tone;
  };

  AlarmSound.prototype.render = function () {
    if (!this.button) {
      return;
    }
    this.button.setAttribute("aria-pressed", this.enabled ? "true" : "false");
    this.button.dataset.sounding = this.enabled ? this.level : "";
    this.button.textContent = this.enabled
      ? "Sound on for this screen: turn off"
      : (this.level ? "Alarm sounding but sound is off: turn on" : "Sound off on this screen: turn on");
  };

  // ---- the alarm list with its buttons ----

  // Times in the clinic's zone (the server's TIME_ZONE, on the page), whatever zone
  // the screen's own clock is set to, so they agree with the server-rendered ones.
  var zoneEl = document.querySelector("[data-time-zone]");
  var CLINIC_ZONE = zoneEl ? zoneEl.dataset.timeZone : undefined;

  function clock(at) {
    var options = { hour: "2-digit", minute: "2-digit", hour12: false };
    try {
      return at.toLocaleTimeString([], CLINIC_ZONE ? Object.assign({ timeZone: CLINIC_ZONE }, options) : options);
    } catch (unknownZone) {
      return at.toLocaleTimeString([], options);
    }
  }

  function since(iso) {
    var at = new Date(iso);
    return isNaN(at.getTime()) ? "" : "since " + clock(at);
  }

  // Keeps <ul> in step with an "alarms" payload's list, by alarm id: rows that stay are
  // updated in place (a button being pressed is not replaced under the finger).
  function AlarmList(listEl, noneEl, actionsTemplate) {
    this.list = listEl;
    this.none = noneEl;
    this.template = actionsTemplate;
    this.rows = {};
    var self = this;
    Array.prototype.forEach.call(listEl.querySelectorAll("li[data-alarm]"), function (li) {
      self.rows[li.dataset.alarm] = li;
      self.wire(li);
    });
  }

  AlarmList.prototype.render = function (alarms) {
    var self = this;
    var keep = {};
    alarms.forEach(function (alarm, index) {
      keep[alarm.id] = true;
      var li = self.rows[alarm.id];
      if (!li) {
        li = self.build(alarm);
        self.rows[alarm.id] = li;
      }
      self.fill(li, alarm);
      if (self.list.children[index] !== li) {
        self.list.insertBefore(li, self.list.children[index] || null);
      }
    });
    Object.keys(this.rows).forEach(function (id) {
      if (!keep[id]) {
        self.rows[id].remove();
        delete self.rows[id];
      }
    });
    if (this.none) {
      this.none.hidden = alarms.length > 0;
    }
  };

  AlarmList.prototype.build = function (alarm) {
    var li = document.createElement("li");
    li.dataset.alarm = alarm.id;
    var text = document.createElement("span");
    text.className = "alarm-text";
    var meta = document.createElement("span");
    meta.className = "alarm-meta";
    li.appendChild(text);
    li.appendChild(meta);
    if (this.template) {
      var forms = this.template.content.cloneNode(true);
      Array.prototype.forEach.call(forms.querySelectorAll("input[name=alarm]"), function (input) {
        input.value = alarm.id;
      });
      li.appendChild(forms);
    }
    this.wire(li);
    return li;
  };

  AlarmList.prototype.fill = function (li, alarm) {
    var css = "alarm-item alarm-" + alarm.priority + (alarm.acknowledged ? "" : " alarm-unacknowledged");
    if (li.className !== css) {
      li.className = css;
    }
    var text = li.querySelector(".alarm-text");
    if (text.textContent !== alarm.message) {
      text.textContent = alarm.message;
    }
    var parts = [alarm.priority.charAt(0).toUpperCase() + alarm.priority.slice(1), since(alarm.since)];
    if (alarm.acknowledged) {
      parts.push("acknowledged");
    }
    if (alarm.silenced_until) {
      parts.push("audio paused");
    }
    if (alarm.tier > 1) {
      parts.push("escalated to tier " + alarm.tier);
    }
    var meta = li.querySelector(".alarm-meta");
    var metaText = parts.filter(Boolean).join(" · ");
    if (meta.textContent !== metaText) {
      meta.textContent = metaText;
    }
    // Only the buttons that still do something: acknowledge until acknowledged, pause
    // while the alarm sounds.
    Array.prototype.forEach.call(li.querySelectorAll("form.alarm-form"), function (form) {
      var useless = form.dataset.response === "acknowledge" ? alarm.acknowledged : !alarm.audible;
      if (form.hidden !== useless) {
        form.hidden = useless;
      }
    });
    var sent = li.querySelector(".alarm-sent");
    if (sent && alarm.acknowledged && sent.dataset.response === "acknowledge") {
      sent.remove(); // the engine confirmed it: "acknowledged" above says so
    }
  };

  // Buttons post with fetch (the form's own CSRF token); the page changes when the
  // engine's next "alarms" payload says it did, not when the server answers.
  AlarmList.prototype.wire = function (li) {
    Array.prototype.forEach.call(li.querySelectorAll("form.alarm-form"), function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        var note = li.querySelector(".alarm-sent");
        if (!note) {
          note = document.createElement("span");
          note.className = "alarm-sent";
          note.setAttribute("role", "status");
          li.appendChild(note);
        }
        note.dataset.response = form.dataset.response;
        button.disabled = true;
        window.fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { "X-KC-Fetch": "1" },
        }).then(function (answer) {
          return answer.json().then(function (body) {
            return { status: answer.status, body: body };
          });
        }).then(function (result) {
          button.disabled = false;
          if (result.status === 202) {
            note.textContent = form.dataset.response === "acknowledge"
              ? "Acknowledgement sent" : "Audio pause sent";
          } else {
            var errors = result.body && result.body.errors ? result.body.errors : {};
            var first = Object.keys(errors).map(function (key) { return errors[key][0]; })[0];
            note.textContent = first || "Not sent: try again";
          }
        }).catch(function () {
          button.disabled = false;
          note.textContent = "Not sent (no connection): try again";
        });
      });
    });
  };

  return {
    CODES: CODES,
    PLACES: PLACES,
    PUMP_PLACES: PUMP_PLACES,
    PRIORITY_RANK: PRIORITY_RANK,
    showValue: showValue,
    showNibp: showNibp,
    valuesOf: valuesOf,
    pumpEventText: pumpEventText,
    connect: connect,
    initial: initial,
    clock: clock,
    STALE_MS: STALE_MS,
    localTime: localTime,
    StaleWatch: StaleWatch,
    AlarmSound: AlarmSound,
    AlarmList: AlarmList,
  };
})();
