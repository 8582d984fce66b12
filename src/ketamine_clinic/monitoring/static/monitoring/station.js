// The central station: every room at a glance from one socket.
//
// Twenty rooms send numerics and pump totals every second or so. Each message only
// records the room's newest state; the DOM is written once per animation frame, and a
// field only when what it shows changed, so the page stays cheap however fast they come.
"use strict";

(function () {
  var L = window.KCLive;
  var grid = document.getElementById("station");
  if (!grid || !L) {
    return;
  }

  var tiles = {}; // room id -> {el, fields, pending: {numerics, pump, alarms}}
  Array.prototype.forEach.call(grid.querySelectorAll(".tile[data-room]"), function (el) {
    var fields = {};
    Array.prototype.forEach.call(el.querySelectorAll("[data-field]"), function (field) {
      fields[field.dataset.field] = field;
    });
    tiles[el.dataset.room] = { el: el, fields: fields, pending: {}, alarms: [] };
  });

  var sound = new L.AlarmSound(document.getElementById("sound-toggle"));
  var scheduled = false;

  function schedule() {
    if (!scheduled) {
      scheduled = true;
      window.requestAnimationFrame(flush);
    }
  }

  function receive(payload) {
    var tile = tiles[String(payload.room)];
    if (!tile || (payload.kind !== "numerics" && payload.kind !== "pump" && payload.kind !== "alarms")) {
      return; // a room added after the page loaded shows on the next load
    }
    if (payload.kind === "numerics" && tile.pending.numerics) {
      // NIBP comes every few minutes, HR every second: keep what this message lacks.
      var merged = {};
      tile.pending.numerics.values.forEach(function (item) { merged[item.code] = item; });
      payload.values.forEach(function (item) { merged[item.code] = item; });
      payload = { kind: "numerics", room: payload.room, values: Object.keys(merged).map(function (k) { return merged[k]; }) };
    }
    if (payload.kind === "numerics") {
      refreshed(tile, payload, Date.now());
    }
    tile.pending[payload.kind] = payload;
    schedule();
  }

  var stale = new L.StaleWatch();
  var FIELD_OF_CODE = {};
  FIELD_OF_CODE[L.CODES.hr] = "hr";
  FIELD_OF_CODE[L.CODES.spo2] = "spo2";
  FIELD_OF_CODE[L.CODES.nibpSys] = "nibp";

  // Each field's value was refreshed at `atMs` (null: at the value's own time).
  function refreshed(tile, payload, atMs) {
    (payload.values || []).forEach(function (item) {
      var field = FIELD_OF_CODE[item.code];
      if (field && tile.fields[field]) {
        stale.seen(tile.fields[field], atMs === null ? L.localTime(item.at) : atMs, L.STALE_MS[item.code]);
      }
    });
  }

  function showNumerics(tile, payload) {
    var values = L.valuesOf(payload);
    if (L.CODES.hr in values) {
      L.showValue(tile.fields.hr, values[L.CODES.hr], 0, true);
    }
    if (L.CODES.spo2 in values) {
      L.showValue(tile.fields.spo2, values[L.CODES.spo2], 0, true);
    }
    L.showNibp(tile.fields.nibp, values);
  }

  function showPump(tile, payload) {
    ["rate", "dose"].forEach(function (field) {
      var key = field === "rate" ? "rate_ml_per_h" : "dose_delivered_mg";
      var value = payload[key];
      L.showValue(tile.fields[field], value === null || value === undefined ? null : Number(value), L.PUMP_PLACES, true);
    });
  }

  function showAlarms(tile, payload) {
    var active = payload.active || [];
    tile.alarms = active;
    var top = active[0];
    active.forEach(function (alarm) {
      if (L.PRIORITY_RANK[alarm.priority] > L.PRIORITY_RANK[top.priority]) {
        top = alarm;
      }
    });
    var field = tile.fields.alarm;
    var css = top
      ? "tile-alarm alarm-" + top.priority + (top.acknowledged ? "" : " alarm-unacknowledged")
      : "tile-alarm alarm-clear";
    var text = top ? top.message + (active.length > 1 ? " (+" + (active.length - 1) + ")" : "") : "No alarm";
    if (field.className !== css) {
      field.className = css;
    }
    if (field.textContent !== text) {
      field.textContent = text;
    }
    ["high", "medium", "low"].forEach(function (priority) {
      tile.el.classList.toggle("has-" + priority, Boolean(top) && top.priority === priority);
    });
  }

  function flush() {
    scheduled = false;
    var alarmsChanged = false;
    Object.keys(tiles).forEach(function (room) {
      var tile = tiles[room];
      var pending = tile.pending;
      if (pending.numerics) {
        showNumerics(tile, pending.numerics);
      }
      if (pending.pump) {
        showPump(tile, pending.pump);
      }
      if (pending.alarms) {
        showAlarms(tile, pending.alarms);
        alarmsChanged = true;
      }
      tile.pending = {};
    });
    if (alarmsChanged) {
      var all = [];
      Object.keys(tiles).forEach(function (room) {
        all = all.concat(tiles[room].alarms);
      });
      sound.update(all);
    }
  }

  // The server rendered the numbers; the alarms' sound needs the first list too.
  (L.initial() || []).forEach(function (state) {
    var tile = tiles[String(state.room)];
    if (tile && state.numerics) {
      refreshed(tile, state.numerics, null);
    }
    if (state.alarms) {
      receive(state.alarms);
    }
  });
  flush();

  L.connect(grid.dataset.socket, receive, document.getElementById("link-state"));
})();
