// The dashboard page: reads fit's events from /events (server-sent events) and draws the
// progress and the curves. No framework, nothing fetched from elsewhere.
'use strict';

const $ = (id) => document.getElementById(id);
/** Batch points kept on the loss chart (older ones are thinned beyond this). */
const MAX_BATCH_POINTS = 20000;
const state = {
  epochs: 0,
  stepsPerEpoch: 0,
  firstEpoch: 0,
  batches: [], // {x, loss}: x in epochs (fractional)
  epochLogs: [], // {epoch, logs}
  finished: false,
  events: 0,
};
let drawPending = false;

function onEvent(event) {
  state.events++;
  switch (event.type) {
    case 'begin':
      state.epochs = event.epochs;
      state.stepsPerEpoch = event.steps_per_epoch;
      state.firstEpoch = event.first_epoch;
      state.batches = [];
      state.epochLogs = [];
      state.finished = false;
      $('summary').textContent = event.summary || '(no summary: the model does not know its input shape)';
      break;
    case 'batch':
      state.batches.push({
        x: event.epoch - 1 + event.step / Math.max(1, state.stepsPerEpoch),
        epoch: event.epoch,
        step: event.step,
        loss: event.loss,
      });
      if (state.batches.length > MAX_BATCH_POINTS) {
        // Every other point of the older half goes, as the server thins its events.
        const half = state.batches.length >> 1;
        state.batches = state.batches.filter((_, i) => i >= half || i % 2 === 1);
      }
      break;
    case 'epoch':
      state.epochLogs.push({ epoch: event.epoch, logs: event.logs });
      break;
    case 'end':
      state.finished = true;
      break;
    case 'closed':
      $('connection').textContent = 'the dashboard server has stopped';
      source.close();
      break;
  }
  if (!drawPending) {
    drawPending = true;
    requestAnimationFrame(draw);
  }
}

function draw() {
  drawPending = false;
  const lastBatch = state.batches[state.batches.length - 1];
  const lastEpoch = state.epochLogs[state.epochLogs.length - 1];
  let text = 'waiting for fit to start';
  let fraction = 0;
  if (state.epochs > 0) {
    const epoch = lastBatch ? lastBatch.epoch : state.firstEpoch + 1;
    const step = lastBatch ? lastBatch.step : 0;
    const done = lastEpoch && lastEpoch.epoch === epoch;
    text = state.finished
      ? `finished: ${lastEpoch ? lastEpoch.epoch : state.firstEpoch} of ${state.epochs} epochs`
      : `epoch ${epoch}/${state.epochs}, step ${done ? state.stepsPerEpoch : step}/${state.stepsPerEpoch}`;
    fraction = state.finished ? 1 : (epoch - 1 + step / Math.max(1, state.stepsPerEpoch)) / state.epochs;
  }
  $('progress-text').textContent = text;
  $('progress-bar').style.width = `${Math.min(100, fraction * 100).toFixed(1)}%`;
  const latest = $('latest');
  latest.replaceChildren();
  if (lastEpoch) {
    for (const [name, value] of Object.entries(lastEpoch.logs)) {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = value === null ? 'not finite' : value.toFixed(4);
      latest.append(dt, dd);
    }
  }
  const epochPoints = (name) =>
    state.epochLogs.filter((e) => typeof e.logs[name] === 'number').map((e) => ({ x: e.epoch, y: e.logs[name] }));
  plot($('loss'), [
    { label: 'batch loss', colour: '#bbb', points: state.batches.filter((b) => b.loss !== null).map((b) => ({ x: b.x, y: b.loss })) },
    { label: 'loss', colour: '#333', points: epochPoints('loss') },
    { label: 'val_loss', colour: '#e07010', points: epochPoints('val_loss') },
  ]);
  // One chart per metric other than the loss, training and validation together.
  const names = new Set();
  for (const e of state.epochLogs) {
    for (const name of Object.keys(e.logs)) {
      const base = name.startsWith('val_') ? name.slice(4) : name;
      if (base !== 'loss') names.add(base);
    }
  }
  const metrics = $('metrics');
  for (const name of names) {
    let canvas = document.getElementById(`metric-${name}`);
    if (!canvas) {
      const h = document.createElement('h2');
      h.textContent = name;
      canvas = document.createElement('canvas');
      canvas.id = `metric-${name}`;
      canvas.width = 640;
      canvas.height = 200;
      metrics.append(h, canvas);
    }
    plot(canvas, [
      { label: name, colour: '#333', points: epochPoints(name) },
      { label: `val_${name}`, colour: '#e07010', points: epochPoints(`val_${name}`) },
    ]);
  }
}

/** Lines against epochs, each series with its own colour; the y range fits them all. */
function plot(canvas, series) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  const pad = 30;
  ctx.clearRect(0, 0, width, height);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return;
  // Loops, not Math.max(...all): spreading a long array overflows the call stack.
  let xMax = Math.max(state.epochs, 1);
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const p of all) {
    xMax = Math.max(xMax, p.x);
    yMin = Math.min(yMin, p.y);
    yMax = Math.max(yMax, p.y);
  }
  if (yMax - yMin < 1e-9) {
    yMin -= 0.5;
    yMax += 0.5;
  }
  const px = (x) => pad + (x / xMax) * (width - 2 * pad);
  const py = (y) => height - pad - ((y - yMin) / (yMax - yMin)) * (height - 2 * pad);
  ctx.strokeStyle = '#ddd';
  ctx.strokeRect(pad, pad, width - 2 * pad, height - 2 * pad);
  ctx.fillStyle = '#666';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(yMax.toPrecision(3), 2, pad + 4);
  ctx.fillText(yMin.toPrecision(3), 2, height - pad + 4);
  ctx.fillText(`epoch ${xMax}`, width - pad - 40, height - 8);
  let legendX = pad;
  for (const s of series) {
    if (s.points.length === 0) continue;
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = s.points.length > 1 ? 1.5 : 3;
    ctx.beginPath();
    s.points.forEach((p, i) => (i === 0 ? ctx.moveTo(px(p.x), py(p.y)) : ctx.lineTo(px(p.x), py(p.y))));
    if (s.points.length === 1) ctx.lineTo(px(s.points[0].x) + 1, py(s.points[0].y));
    ctx.stroke();
    ctx.fillStyle = s.colour;
    ctx.fillText(s.label, legendX, 14);
    legendX += ctx.measureText(s.label).width + 16;
  }
}

const source = new EventSource('/events');
source.onopen = () => {
  $('connection').textContent = 'connected: updates as fit runs';
};
source.onerror = () => {
  if (!state.finished) $('connection').textContent = 'connection lost: retrying…';
};
source.onmessage = (message) => {
  try {
    onEvent(JSON.parse(message.data));
  } catch (e) {
    $('connection').textContent = `an event could not be read: ${e.message}`;
  }
};

// For tests: what the page has drawn from.
window.dashboard = {
  status: () => ({
    events: state.events,
    epochs: state.epochLogs.length,
    batches: state.batches.length,
    finished: state.finished,
    progress: $('progress-text').textContent,
  }),
};
