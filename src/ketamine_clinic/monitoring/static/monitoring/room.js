// One room live: numerics, ECG and pleth swept across canvases, the visit's trends,
// the pump and the alarms, from the room's socket (monitoring/live.py payloads).
//
// Waveforms arrive in chunks every 0.5-1 s. Each channel keeps a small playback buffer
// and draws at the sample rate against the clock (requestAnimationFrame), so the trace
// sweeps continuously about 0.75 s behind the monitor, like a bedside screen. An empty
// buffer is drawn as a gap (the sweep goes on), invalid samples (null) as gaps too.
"use strict";

(function () {
  var L = window.KCLive;
  var root = document.getElementById("room-live");
  if (!root || !L) {
    return;
  }

  // The playback buffer: starts at 0.75 s (chunks every 0.5-1 s) and grows by a quarter
  // second each time the buffer runs dry (a late chunk), up to 2 s, so a feed with
  // jitter settles into a sweep without gaps.
  var DELAY_S = 0.75;
  var DELAY_STEP_S = 0.25;
  var MAX_DELAY_S = 2;
  var MAX_BUFFER_S = 4; // beyond this the trace jumps ahead rather than lag further
  var SWEEP_S = 6; // seconds across the canvas
  var ERASE_PX = 14; // the blank bar ahead of the sweep

  function Channel(canvas, color) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.color = color;
    this.rate = 0;
    this.queue = [];
    this.head = 0; // index of the next sample to play in `queue`
    this.playing = false; // buffered enough to play; false: sweep draws a gap
    this.delayS = DELAY_S;
    this.everData = false;
    this.x = 0;
    this.lastY = null;
    this.carry = 0;
    this.lastT = null;
    this.ranges = []; // [min, max] of recent chunks, for the scale
    this.lo = -1;
    this.hi = 1;
    this.resize();
  }

  Channel.prototype.resize = function () {
    var ratio = window.devicePixelRatio || 1;
    var width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    var height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.x = 0;
      this.lastY = null;
    }
    this.ctx.lineWidth = 2 * ratio;
    this.ctx.strokeStyle = this.color;
    this.ctx.lineJoin = "round";
  };

  Channel.prototype.buffered = function () {
    return this.queue.length - this.head;
  };

  Channel.prototype.push = function (rate, samples) {
    if (rate !== this.rate) {
      this.rate = rate;
      this.queue = [];
      this.head = 0;
      this.playing = false;
    }
    var lo = Infinity;
    var hi = -Infinity;
    for (var i = 0; i < samples.length; i += 1) {
      var value = samples[i];
      this.queue.push(value);
      if (value !== null) {
        if (value < lo) { lo = value; }
        if (value > hi) { hi = value; }
      }
    }
    if (lo <= hi) {
      // The scale follows the last few seconds, so a probe moved or a new lead does
      // not leave the trace flat or clipped for long.
      this.ranges.push([lo, hi]);
      if (this.ranges.length > 6) {
        this.ranges.shift();
      }
      var min = Infinity;
      var max = -Infinity;
      this.ranges.forEach(function (r) {
        min = Math.min(min, r[0]);
        max = Math.max(max, r[1]);
      });
      var pad = (max - min || 1) * 0.1;
      this.lo = min - pad;
      this.hi = max + pad;
    }
    // Hold a chunk and a quarter before playing: a chunk played the moment it arrives
    // runs out just as the next one is due, and any lateness would show as a gap.
    if (samples.length) {
      this.delayS = Math.max(this.delayS, Math.min(1.25 * samples.length / rate, MAX_DELAY_S));
    }
    this.everData = true;
    this.compact();
  };

  Channel.prototype.compact = function () {
    if (this.head > 4096) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    var limit = Math.round(MAX_BUFFER_S * this.rate);
    if (this.buffered() > limit) {
      this.head = this.queue.length - Math.round(this.delayS * this.rate);
    }
  };

  // Draw the samples at once (the page's first ten seconds), no playback.
  Channel.prototype.prefill = function () {
    var samples = this.queue.slice(this.head);
    var keep = Math.round(SWEEP_S * this.rate * 0.9);
    this.draw(samples.slice(Math.max(0, samples.length - keep)));
    this.queue = [];
    this.head = 0;
  };

  Channel.prototype.yOf = function (value) {
    var height = this.canvas.height;
    return height - 4 - (height - 8) * (value - this.lo) / (this.hi - this.lo || 1);
  };

  Channel.prototype.draw = function (samples) {
    if (!samples.length || !this.rate) {
      return;
    }
    var ctx = this.ctx;
    var width = this.canvas.width;
    var step = width / (SWEEP_S * this.rate);
    var ratio = window.devicePixelRatio || 1;
    var clearFrom = this.x;
    var clearTo = this.x + step * samples.length + ERASE_PX * ratio;
    ctx.clearRect(clearFrom, 0, clearTo - clearFrom, this.canvas.height);
    if (clearTo > width) {
      ctx.clearRect(0, 0, clearTo - width, this.canvas.height);
    }
    ctx.beginPath();
    for (var i = 0; i < samples.length; i += 1) {
      var value = samples[i];
      var nextX = this.x + step;
      if (nextX >= width) {
        // Wrap: start again at the left, without a line across the screen.
        this.x = 0;
        nextX = step;
        this.lastY = null;
        ctx.stroke();
        ctx.beginPath();
        ctx.clearRect(0, 0, step * (samples.length - i) + ERASE_PX * ratio, this.canvas.height);
      }
      if (value === null) {
        this.lastY = null;
      } else {
        var y = this.yOf(value);
        if (this.lastY !== null) {
          ctx.moveTo(this.x, this.lastY);
          ctx.lineTo(nextX, y);
        }
        this.lastY = y;
      }
      this.x = nextX;
    }
    ctx.stroke();
  };

  Channel.prototype.frame = function (now) {
    if (!this.everData || !this.rate) {
      this.lastT = now;
      return;
    }
    if (this.lastT === null) {
      this.lastT = now;
      return;
    }
    var due = (now - this.lastT) / 1000 * this.rate + this.carry;
    this.lastT = now;
    var count = Math.floor(due);
    this.carry = due - count;
    if (count <= 0) {
      return;
    }
    count = Math.min(count, Math.round(this.rate)); // a hidden tab wakes without a scribble
    if (!this.playing && this.buffered() >= this.delayS * this.rate) {
      this.playing = true;
    }
    var out = new Array(count);
    for (var i = 0; i < count; i += 1) {
      if (this.playing && this.head < this.queue.length) {
        out[i] = this.queue[this.head];
        this.head += 1;
      } else {
        // Nothing to play: a gap, and buffer again (a little more) before playing.
        if (this.playing) {
          this.delayS = Math.min(this.delayS + DELAY_STEP_S, MAX_DELAY_S);
        }
        out[i] = null;
        this.playing = false;
      }
    }
    this.draw(out);
    this.compact();
  };

  var channels = {};
  channels[L.CODES.ecg] = new Channel(document.getElementById("wave-ecg"), "#35e06b");
  channels[L.CODES.pleth] = new Channel(document.getElementById("wave-pleth"), "#3fd9f5");

  // ---- trends: the visit's last two hours, one point a minute ----

  var TRENDS = [
    { codes: [L.CODES.hr], label: "HR /min", colors: ["#35e06b"], lo: 40, hi: 140 },
    { codes: [L.CODES.spo2], label: "SpO2 %", colors: ["#3fd9f5"], lo: 80, hi: 100 },
    { codes: [L.CODES.nibpSys, L.CODES.nibpDia], label: "NIBP mmHg", colors: ["#f2f4f7", "#9aa6b5"], lo: 40, hi: 180 },
    { codes: [L.CODES.rr], label: "RR /min", colors: ["#f7d94c"], lo: 0, hi: 30 },
  ];
  var trendCanvas = document.getElementById("trends");
  var trendPoints = {}; // code -> [[epoch ms, value]] (minute means)
  var trendBucket = {}; // code -> {minute, sum, count} being filled now
  var trendStepMs = 60000;
  var trendWindowMs = 7200000;
  var trendDirty = true;

  function trendsFrom(initial) {
    if (!initial) {
      return;
    }
    trendStepMs = (initial.step_s || 60) * 1000;
    trendWindowMs = (initial.window_s || 7200) * 1000;
    Object.keys(initial.series || {}).forEach(function (code) {
      trendPoints[code] = initial.series[code].points.slice();
    });
  }

  function trendAdd(code, value, at) {
    if (value === null) {
      return; // invalid values are not part of a minute's mean (a gap, never 0)
    }
    var minute = Math.floor(at / trendStepMs) * trendStepMs;
    var bucket = trendBucket[code];
    if (!bucket || bucket.minute !== minute) {
      bucket = { minute: minute, sum: 0, count: 0 };
      trendBucket[code] = bucket;
      trendPoints[code] = trendPoints[code] || [];
      trendPoints[code].push([minute, value]);
    }
    bucket.sum += value;
    bucket.count += 1;
    var points = trendPoints[code];
    points[points.length - 1] = [minute, bucket.sum / bucket.count];
    trendDirty = true;
  }

  function drawTrends() {
    var ratio = window.devicePixelRatio || 1;
    var width = Math.max(1, Math.round(trendCanvas.clientWidth * ratio));
    var height = Math.max(1, Math.round(trendCanvas.clientHeight * ratio));
    if (trendCanvas.width !== width || trendCanvas.height !== height) {
      trendCanvas.width = width;
      trendCanvas.height = height;
    }
    var ctx = trendCanvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    var left = 78 * ratio;
    var right = width - 8 * ratio;
    var end = Date.now();
    var start = end - trendWindowMs;
    var rowH = height / TRENDS.length;
    ctx.font = (11 * ratio) + "px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    // Time grid every 30 min, labelled in the clinic screen's local time.
    ctx.strokeStyle = "#1b2430";
    ctx.lineWidth = 1;
    for (var t = Math.ceil(start / 1800000) * 1800000; t <= end; t += 1800000) {
      var gx = left + (right - left) * (t - start) / trendWindowMs;
      ctx.beginPath();
      ctx.moveTo(gx, 0);
      ctx.lineTo(gx, height - 12 * ratio);
      ctx.stroke();
      ctx.fillStyle = "#8c97a6";
      ctx.textAlign = "center";
      ctx.fillText(L.clock(new Date(t)), gx, height - 6 * ratio);
    }
    TRENDS.forEach(function (trend, row) {
      var top = row * rowH + 4 * ratio;
      var bottom = (row + 1) * rowH - 14 * ratio;
      ctx.textAlign = "left";
      ctx.fillStyle = trend.colors[0];
      ctx.fillText(trend.label, 4 * ratio, top + 8 * ratio);
      ctx.fillStyle = "#8c97a6";
      ctx.fillText(String(trend.hi), 4 * ratio, top + 22 * ratio);
      ctx.fillText(String(trend.lo), 4 * ratio, bottom);
      trend.codes.forEach(function (code, index) {
        var points = trendPoints[code] || [];
        ctx.strokeStyle = trend.colors[index];
        ctx.lineWidth = 2 * ratio;
        ctx.beginPath();
        var previous = null;
        points.forEach(function (point) {
          if (point[0] < start) {
            return;
          }
          var x = left + (right - left) * (point[0] - start) / trendWindowMs;
          var clamped = Math.min(Math.max(point[1], trend.lo), trend.hi);
          var y = bottom - (bottom - top) * (clamped - trend.lo) / (trend.hi - trend.lo);
          // A missing minute (no valid value) breaks the line.
          if (previous !== null && point[0] - previous <= trendStepMs * 1.5) {
            ctx.lineTo(x, y);
          } else {
            ctx.moveTo(x, y);
            ctx.fillStyle = trend.colors[index];
            ctx.fillRect(x - 2 * ratio, y - 2 * ratio, 4 * ratio, 4 * ratio);
          }
          previous = point[0];
        });
        ctx.stroke();
      });
    });
    trendDirty = false;
  }

  // ---- numerics and pump ----

  var boxes = {};
  Array.prototype.forEach.call(document.querySelectorAll("[data-box]"), function (box) {
    boxes[box.dataset.box] = {
      el: box,
      value: box.querySelector("[data-field=value]"),
      status: box.querySelector("[data-field=status]"),
    };
  });
  var BOX_CODES = { hr: L.CODES.hr, spo2: L.CODES.spo2, rr: L.CODES.rr, pr: L.CODES.pr, temp: L.CODES.temp };

  function setStatus(box, text) {
    if (box.status.textContent !== text) {
      box.status.textContent = text;
    }
  }

  var stale = new L.StaleWatch();
  var BOX_OF_CODE = {};
  Object.keys(BOX_CODES).forEach(function (key) {
    BOX_OF_CODE[BOX_CODES[key]] = key;
  });
  BOX_OF_CODE[L.CODES.nibpSys] = "nibp";

  // Each box's value was refreshed at `atMs`.
  function refreshed(payload, atMs) {
    (payload.values || []).forEach(function (item) {
      var key = BOX_OF_CODE[item.code];
      if (key && boxes[key] && L.STALE_MS[item.code]) {
        stale.seen(boxes[key].el, atMs === null ? L.localTime(item.at) : atMs, L.STALE_MS[item.code]);
      }
    });
  }

  function onNumerics(payload) {
    refreshed(payload, Date.now());
    var values = L.valuesOf(payload);
    Object.keys(BOX_CODES).forEach(function (key) {
      var code = BOX_CODES[key];
      var box = boxes[key];
      if (!box || !(code in values)) {
        return;
      }
      L.showValue(box.value, values[code], L.PLACES[code] || 0, true);
      box.el.classList.toggle("is-invalid", values[code] === null);
      setStatus(box, values[code] === null ? "invalid" : "");
    });
    var nibp = boxes.nibp;
    if (nibp && L.showNibp(nibp.value, values)) {
      var invalid = nibp.value.dataset.shown === "invalid";
      nibp.el.classList.toggle("is-invalid", invalid);
      var mean = values[L.CODES.nibpMean];
      setStatus(nibp, invalid ? "invalid" : (typeof mean === "number" ? "mean " + mean.toFixed(0) : ""));
    }
    (payload.values || []).forEach(function (item) {
      var at = Date.parse(item.at);
      trendAdd(String(item.code), item.value === null ? null : Number(item.value), isNaN(at) ? Date.now() : at);
    });
  }

  var pumpFields = {};
  Array.prototype.forEach.call(document.querySelectorAll("[data-pump]"), function (el) {
    pumpFields[el.dataset.pump] = el;
  });

  function onPump(payload) {
    if (pumpFields.event) {
      var text = L.pumpEventText(payload.event);
      if (payload.event !== null || !pumpFields.event.textContent) {
        pumpFields.event.textContent = text;
      }
    }
    ["rate_ml_per_h", "dose_delivered_mg", "volume_delivered_ml", "volume_remaining_ml"].forEach(function (key) {
      if (pumpFields[key]) {
        var value = payload[key];
        L.showValue(pumpFields[key], value === null || value === undefined ? null : Number(value), L.PUMP_PLACES, true);
      }
    });
  }

  // ---- alarms ----

  var alarmList = new L.AlarmList(
    document.getElementById("alarm-list"),
    document.getElementById("alarm-none"),
    document.getElementById("alarm-list").dataset.canRespond === "1"
      ? document.getElementById("alarm-actions") : null
  );
  var sound = new L.AlarmSound(document.getElementById("sound-toggle"));

  function onAlarms(payload) {
    alarmList.render(payload.active || []);
    sound.update(payload.active || []);
  }

  function onWave(payload) {
    var channel = channels[payload.code];
    if (channel && payload.rate_hz > 0) {
      channel.push(payload.rate_hz, payload.samples || []);
    }
  }

  function dispatch(payload) {
    if (payload.kind === "numerics") {
      onNumerics(payload);
    } else if (payload.kind === "wave") {
      onWave(payload);
    } else if (payload.kind === "pump") {
      onPump(payload);
    } else if (payload.kind === "alarms") {
      onAlarms(payload);
    }
  }

  // ---- start: the page's first state, then the socket ----

  var initial = L.initial() || {};
  trendsFrom(initial.trends);
  (initial.waves || []).forEach(onWave);
  Object.keys(channels).forEach(function (code) {
    channels[code].prefill();
  });
  if (initial.alarms) {
    onAlarms(initial.alarms);
  }
  // Numerics and pump were rendered by the server; the trends already hold them.
  if (initial.numerics) {
    refreshed(initial.numerics, null);
  }

  var lastTrendDraw = 0;
  function animate(now) {
    Object.keys(channels).forEach(function (code) {
      channels[code].frame(now);
    });
    // Trends change at most once a minute per point: redraw every few seconds at most.
    if (trendDirty || now - lastTrendDraw > 30000) {
      if (now - lastTrendDraw > 2000) {
        drawTrends();
        lastTrendDraw = now;
      }
    }
    window.requestAnimationFrame(animate);
  }
  window.addEventListener("resize", function () {
    Object.keys(channels).forEach(function (code) {
      channels[code].resize();
    });
    trendDirty = true;
  });
  drawTrends();
  window.requestAnimationFrame(animate);

  // For the browser tests: how much each channel holds, to pace what they publish.
  window.KCRoomLive = { channels: channels };

  L.connect(root.dataset.socket, dispatch, document.getElementById("link-state"));
})();
