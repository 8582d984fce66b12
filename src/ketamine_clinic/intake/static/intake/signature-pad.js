// The consent form's signature pad: draw with a finger, a pen or a mouse (pointer
// events), Clear to start again; on Sign, the drawing goes to the server as a PNG data
// URL in the hidden "signature" field. No inline script (the CSP forbids it).
//
// Strokes are kept as points relative to the box (0..1), so turning the tablet (which
// resizes the box) redraws the same signature instead of losing it. The signature is
// never autosaved: it is drawn afresh after a reload.
"use strict";

(function () {
  var canvas = document.getElementById("signature-canvas");
  var field = document.getElementById("signature-data");
  var clear = document.getElementById("signature-clear");
  var form = document.getElementById("kiosk-form");
  if (!canvas || !field || !form) {
    return;
  }
  var context = canvas.getContext("2d");
  // More than 2x adds bytes, not legibility; the server refuses very large images.
  var scale = Math.min(window.devicePixelRatio || 1, 2);
  var strokes = [];
  var current = null;
  var activePointer = null;

  function lineWidth() {
    return 2.5 * scale;
  }

  function paintGround() {
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.strokeStyle = "#10151c";
    context.fillStyle = "#10151c";
    context.lineWidth = lineWidth();
    context.lineCap = "round";
    context.lineJoin = "round";
  }

  function toCanvas(point) {
    return [point[0] * canvas.width, point[1] * canvas.height];
  }

  function drawStroke(stroke) {
    if (stroke.length === 1) {
      var dot = toCanvas(stroke[0]);
      context.beginPath();
      context.arc(dot[0], dot[1], lineWidth() / 2, 0, 2 * Math.PI);
      context.fill();
      return;
    }
    context.beginPath();
    var start = toCanvas(stroke[0]);
    context.moveTo(start[0], start[1]);
    for (var i = 1; i < stroke.length; i += 1) {
      var next = toCanvas(stroke[i]);
      context.lineTo(next[0], next[1]);
    }
    context.stroke();
  }

  function redraw() {
    paintGround();
    strokes.forEach(drawStroke);
  }

  function fit() {
    var box = canvas.getBoundingClientRect();
    var width = Math.max(1, Math.round(box.width * scale));
    var height = Math.max(1, Math.round(box.height * scale));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
      redraw();
    }
  }

  function pointFor(event) {
    var box = canvas.getBoundingClientRect();
    var x = (event.clientX - box.left) / box.width;
    var y = (event.clientY - box.top) / box.height;
    return [Math.min(Math.max(x, 0), 1), Math.min(Math.max(y, 0), 1)];
  }

  function extend(event) {
    var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    if (events.length === 0) {
      events = [event];
    }
    events.forEach(function (each) {
      var last = toCanvas(current[current.length - 1]);
      var point = pointFor(each);
      current.push(point);
      var next = toCanvas(point);
      context.beginPath();
      context.moveTo(last[0], last[1]);
      context.lineTo(next[0], next[1]);
      context.stroke();
    });
  }

  // Once the patient draws, the "please sign" message no longer applies.
  function clearError() {
    var question = document.getElementById("q-signature");
    var message = document.getElementById("signature-error");
    if (question) {
      question.classList.remove("has-error");
    }
    if (message) {
      message.hidden = true;
    }
  }

  canvas.addEventListener("pointerdown", function (event) {
    if (activePointer !== null || (event.pointerType === "mouse" && event.button !== 0)) {
      return; // one finger at a time: a resting palm does not draw
    }
    event.preventDefault();
    activePointer = event.pointerId;
    try {
      canvas.setPointerCapture(event.pointerId); // keep the stroke if the finger strays out
    } catch (ignored) {
      // A pointer the browser no longer tracks: draw without capture.
    }
    clearError();
    current = [pointFor(event)];
    strokes.push(current);
    drawStroke(current);
  });

  canvas.addEventListener("pointermove", function (event) {
    if (event.pointerId !== activePointer || current === null) {
      return;
    }
    event.preventDefault();
    extend(event);
  });

  function end(event) {
    if (event.pointerId !== activePointer) {
      return;
    }
    activePointer = null;
    current = null;
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("lostpointercapture", end);

  if (clear) {
    clear.addEventListener("click", function () {
      strokes = [];
      current = null;
      activePointer = null;
      field.value = "";
      redraw();
    });
  }

  form.addEventListener("submit", function () {
    // An empty box sends nothing: the server then asks for a signature in words.
    field.value = strokes.length > 0 ? canvas.toDataURL("image/png") : "";
  });

  window.addEventListener("resize", fit);
  fit();
})();
