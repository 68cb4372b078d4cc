// The playground page: draws the plane and the curves, and drives the WebAssembly playground
// (nnplay's WebPlayground) from the controls. No framework, no network access beyond our files.

import init, { WebPlayground } from './pkg/nnplay.js';

const $ = (id) => document.getElementById(id);
/** Cells per side of the probability field. */
const GRID = 64;
/** How near (in plane units, the plane being −1…1) a click must be to grab a point. */
const HIT_RADIUS = 0.04;
/** Milliseconds of training per animation frame the step count adapts to. */
const FRAME_BUDGET_MS = 12;
/** Points kept on the curves (older ones are thinned out). */
const CURVE_POINTS = 400;
const CAT = [240, 140, 40];
const MOUSE = [40, 120, 200];

await init();
const caps = JSON.parse(WebPlayground.caps());
$('caps').textContent =
  `Caps: at most ${caps.points} points, ${caps.layers} hidden layers of 1 to ${caps.units} units.`;

const plane = $('plane');
const planeCtx = plane.getContext('2d');
const field = document.createElement('canvas');
field.width = GRID;
field.height = GRID;
const fieldCtx = field.getContext('2d');
const fieldImage = fieldCtx.createImageData(GRID, GRID);

let play = new WebPlayground(location.hash.slice(1));
if (location.hash.length <= 1) {
  // A first visit: the tutorial's cats and mice, ready to train.
  play.load_preset('cats-mice', 100, 0.1, 1);
  history.replaceState(null, '', '#' + play.state());
}
let training = false;
let stepsPerFrame = 1;
let dragging = -1;
let curve = [];
let redraws = 0;
let fieldHash = 0;
let dirty = true;

showMessage(play.warnings(), false);
syncInputs();
record();

/** Shows `text` under the controls (an error unless `info`); empty clears it. */
function showMessage(text, info) {
  const el = $('message');
  el.textContent = text;
  el.className = info ? 'info' : '';
}

/** The number typed into input `id`; NaN for an empty box (which `Number` would read as 0), so
 *  the playground refuses it with its message. */
function num(id) {
  const text = $(id).value.trim();
  return text === '' ? NaN : Number(text);
}

/** Runs `f`, showing any error it throws instead of letting it break the page. */
function guard(f) {
  try {
    f();
    return true;
  } catch (e) {
    showMessage(e && e.message ? e.message : String(e), false);
    return false;
  }
}

/** The controls show the playground's settings. */
function syncInputs() {
  const s = JSON.parse(play.settings());
  $('hidden').value = s.hidden;
  $('activation').value = s.activation;
  $('learning-rate').value = String(s.learning_rate);
  $('batch-size').value = String(s.batch_size);
  $('model-seed').value = String(s.seed);
}

/** The address bar holds the state, so that the link reproduces this playground. */
function saveState() {
  history.replaceState(null, '', '#' + play.state());
}

/** A mouse or touch event's position on the plane, in −1…1. */
function toPlane(event) {
  const rect = plane.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * 2 - 1;
  const y = 1 - ((event.clientY - rect.top) / rect.height) * 2;
  return [Math.max(-1, Math.min(1, x)), Math.max(-1, Math.min(1, y))];
}

plane.addEventListener('contextmenu', (event) => event.preventDefault());
plane.addEventListener('pointerdown', (event) => {
  const [x, y] = toPlane(event);
  const hit = play.nearest_point(x, y, HIT_RADIUS);
  if (hit >= 0 && (event.shiftKey || event.button === 2)) {
    guard(() => play.remove_point(hit));
  } else if (hit >= 0) {
    dragging = hit;
    plane.setPointerCapture(event.pointerId);
  } else if (event.button === 0) {
    const cls = $('class-cat').checked ? 1 : 0;
    guard(() => play.add_point(x, y, cls));
  }
  pointsChanged();
});
plane.addEventListener('pointermove', (event) => {
  if (dragging < 0) return;
  const [x, y] = toPlane(event);
  guard(() => play.move_point(dragging, x, y));
  // The address bar is written once the drag ends (browsers limit how often it may change).
  record();
  dirty = true;
});
/** The end of a drag, however it ends: the moved point goes into the address bar. */
function endDrag() {
  if (dragging < 0) return;
  dragging = -1;
  pointsChanged();
}
plane.addEventListener('pointerup', endDrag);
plane.addEventListener('pointercancel', endDrag);
plane.addEventListener('lostpointercapture', endDrag);

function pointsChanged() {
  saveState();
  record();
  dirty = true;
}

$('load-preset').addEventListener('click', () => {
  const ok = guard(() =>
    play.load_preset(
      $('preset').value,
      num('preset-count'),
      num('preset-noise'),
      num('preset-seed'),
    ),
  );
  if (ok) showMessage('', true);
  pointsChanged();
});
$('clear').addEventListener('click', () => {
  play.clear_points();
  pointsChanged();
});

$('apply-model').addEventListener('click', () => {
  const ok = guard(() =>
    play.set_model(
      $('hidden').value,
      $('activation').value,
      num('learning-rate'),
      num('batch-size'),
      num('model-seed'),
    ),
  );
  if (ok) {
    showMessage('', true);
    restart();
  }
  syncInputs();
});
$('learning-rate').addEventListener('change', () => {
  if (guard(() => play.set_learning_rate(num('learning-rate')))) {
    showMessage('', true);
    saveState();
  }
});
$('batch-size').addEventListener('change', () => {
  if (guard(() => play.set_batch_size(num('batch-size')))) {
    showMessage('', true);
    saveState();
  }
});

function setTraining(on) {
  training = on && !play.diverged();
  $('train').disabled = training;
  $('pause').disabled = !training;
}
$('train').addEventListener('click', () => setTraining(true));
$('pause').addEventListener('click', () => setTraining(false));
$('step').addEventListener('click', () => {
  guard(() => play.train(1));
  record();
  dirty = true;
});

/** The weights back to their start; the curves cleared. */
function restart() {
  play.reset();
  curve = [];
  setTraining(false);
  record();
  saveState();
  dirty = true;
}
$('reset').addEventListener('click', restart);
$('reset-diverged').addEventListener('click', restart);

// A link pasted into this tab (or a hand-edited address) changes only the fragment: load it.
window.addEventListener('hashchange', () => {
  const text = location.hash.slice(1);
  if (text === play.state()) return;
  play.free();
  play = new WebPlayground(text);
  showMessage(play.warnings(), false);
  syncInputs();
  restart();
});

$('copy-link').addEventListener('click', async () => {
  saveState();
  try {
    await navigator.clipboard.writeText(location.href);
    showMessage('Link copied.', true);
  } catch {
    showMessage(`Copy this link: ${location.href}`, true);
  }
});

/** Adds the current loss and accuracy to the curves and the readings. */
function record() {
  const steps = play.steps();
  const loss = play.loss();
  const accuracy = play.accuracy();
  if (Number.isFinite(loss) && (curve.length === 0 || curve[curve.length - 1].steps !== steps)) {
    curve.push({ steps, loss, accuracy });
    if (curve.length > CURVE_POINTS) curve = curve.filter((_, i) => i % 2 === 0);
  }
  $('steps').textContent = String(steps);
  $('loss').textContent = Number.isFinite(loss) ? loss.toFixed(4) : '–';
  $('accuracy').textContent = Number.isFinite(accuracy) ? `${(accuracy * 100).toFixed(1)} %` : '–';
  $('accuracy').dataset.value = Number.isFinite(accuracy) ? String(accuracy) : '';
  $('diverged').hidden = !play.diverged();
}

/** The probability field, the points and (for a perceptron) its line. */
function drawPlane() {
  const probs = play.grid(GRID);
  const data = fieldImage.data;
  let hash = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Number.isFinite(probs[i]) ? probs[i] : 0.5;
    const colour = p >= 0.5 ? CAT : MOUSE;
    const t = Math.abs(p - 0.5) * 2 * 0.55;
    data[4 * i] = 255 + (colour[0] - 255) * t;
    data[4 * i + 1] = 255 + (colour[1] - 255) * t;
    data[4 * i + 2] = 255 + (colour[2] - 255) * t;
    data[4 * i + 3] = 255;
    hash = (hash * 31 + Math.round(p * 255)) >>> 0;
  }
  fieldHash = hash;
  fieldCtx.putImageData(fieldImage, 0, 0);
  const { width, height } = plane;
  planeCtx.imageSmoothingEnabled = true;
  planeCtx.drawImage(field, 0, 0, width, height);
  const px = (x) => ((x + 1) / 2) * width;
  const py = (y) => ((1 - y) / 2) * height;
  const weights = play.weights();
  if (weights.length === 3) {
    const [w1, w2, b] = weights;
    planeCtx.strokeStyle = '#333';
    planeCtx.lineWidth = 1.5;
    planeCtx.beginPath();
    if (Math.abs(w2) > 1e-6) {
      planeCtx.moveTo(px(-1), py((-b + w1) / w2));
      planeCtx.lineTo(px(1), py((-b - w1) / w2));
    } else if (Math.abs(w1) > 1e-6) {
      planeCtx.moveTo(px(-b / w1), py(-1));
      planeCtx.lineTo(px(-b / w1), py(1));
    }
    planeCtx.stroke();
  }
  const points = play.points();
  for (let i = 0; i < points.length; i += 3) {
    planeCtx.beginPath();
    planeCtx.arc(px(points[i]), py(points[i + 1]), 5.5, 0, 2 * Math.PI);
    planeCtx.fillStyle = points[i + 2] === 1 ? 'rgb(225,110,10)' : 'rgb(20,90,180)';
    planeCtx.fill();
    planeCtx.strokeStyle = 'white';
    planeCtx.lineWidth = 2;
    planeCtx.stroke();
  }
  drawWeights(weights);
  redraws++;
}

/** The weights, layer by layer; for a perceptron its boundary's equation. */
function drawWeights(weights) {
  const s = JSON.parse(play.settings());
  const sizes = [2, ...(s.hidden ? s.hidden.split(',').map(Number) : []), 1];
  const lines = [];
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [n, m] = [sizes[l], sizes[l + 1]];
    lines.push(`layer ${l + 1} (${n} → ${m}):`);
    for (let r = 0; r < n; r++) {
      lines.push('  ' + Array.from(weights.slice(at + r * m, at + (r + 1) * m), (v) => v.toFixed(3)).join(' '));
    }
    at += n * m;
    lines.push('  bias ' + Array.from(weights.slice(at, at + m), (v) => v.toFixed(3)).join(' '));
    at += m;
  }
  $('weights').textContent = lines.join('\n');
  if (weights.length === 3) {
    const [w1, w2, b] = weights;
    const term = (v) => (v < 0 ? `− ${(-v).toFixed(3)}` : `+ ${v.toFixed(3)}`);
    $('boundary').textContent = `boundary: ${w1.toFixed(3)}·x₁ ${term(w2)}·x₂ ${term(b)} = 0`;
  } else {
    $('boundary').textContent = `${weights.length} weights`;
  }
}

/** Loss (dark, scaled to its largest value) and accuracy (green, 0 to 1) against steps. */
function drawCurves() {
  const canvas = $('curves');
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.strokeStyle = '#ddd';
  ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
  if (curve.length < 2) return;
  const last = curve[curve.length - 1].steps || 1;
  const maxLoss = Math.max(...curve.map((c) => c.loss), 1e-9);
  const line = (value, colour) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    curve.forEach((c, i) => {
      const x = (c.steps / last) * (width - 10) + 5;
      const y = height - 5 - value(c) * (height - 10);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line((c) => c.loss / maxLoss, '#333');
  line((c) => c.accuracy, '#2a9d3a');
  ctx.fillStyle = '#333';
  ctx.fillText(`loss (max ${maxLoss.toFixed(3)})`, 8, 14);
  ctx.fillStyle = '#2a9d3a';
  ctx.fillText('accuracy', 8, 28);
}

/** One animation frame: a slice of training sized to the frame budget, then the drawing. */
function frame() {
  if (training) {
    const started = performance.now();
    guard(() => play.train(stepsPerFrame));
    const took = performance.now() - started;
    if (took < FRAME_BUDGET_MS / 2) stepsPerFrame = Math.min(caps.steps, stepsPerFrame * 2);
    else if (took > FRAME_BUDGET_MS) stepsPerFrame = Math.max(1, stepsPerFrame >> 1);
    record();
    if (play.diverged()) setTraining(false);
    dirty = true;
  }
  if (dirty) {
    guard(drawPlane);
    drawCurves();
    dirty = false;
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// For tests and the curious (the browser console): the playground and what the page shows.
window.nnplay = {
  play: () => play,
  status: () => ({
    steps: play.steps(),
    loss: play.loss(),
    accuracy: play.accuracy(),
    diverged: play.diverged(),
    points: play.points().length / 3,
    training,
    redraws,
    fieldHash,
    state: play.state(),
  }),
};
document.body.dataset.ready = 'true';
