// Per-token loss drawn over the text itself: each token's text on a background whose colour is its loss, on one
// canvas (thousands of tokens stay cheap to draw), with a hover tooltip naming the token and its loss.
import { colorLUT, colorLegend } from './color';
import { createTooltip, h, localPoint, resolveDocument, type DocumentOption, type VizElement } from './dom';

export interface TokenLossData {
  /** The text each token adds ('' inside a multi-byte character), as the engine's `textLoss` gives. */
  texts: readonly string[];
  /** Display piece of each token, for the tooltip. */
  pieces?: readonly string[];
  /** Loss in nats per token; NaN for tokens nothing predicts (the first). */
  losses: ArrayLike<number>;
}

export interface TokenLossOptions extends DocumentOption {
  width?: number;
  fontSize?: number;
  /** Loss mapped to the hottest colour (default: the largest finite loss). */
  maxLoss?: number;
}

export interface TokenBox {
  token: number;
  x: number;
  y: number;
  w: number;
  text: string;
}

/** Places the tokens in lines of at most `width` px; `measure` gives a string's width. Newlines start a line. */
export function layoutTokens(texts: readonly string[], width: number, lineHeight: number, measure: (s: string) => number): { boxes: TokenBox[]; height: number } {
  const boxes: TokenBox[] = [];
  let x = 0;
  let y = 0;
  texts.forEach((t, token) => {
    const parts = t.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) {
        x = 0;
        y += lineHeight;
      }
      const shown = part.replace(/\t/g, '    ');
      const w = shown.length ? measure(shown) : i < parts.length - 1 ? measure('⏎') : 0;
      if (x > 0 && x + w > width) {
        x = 0;
        y += lineHeight;
      }
      if (w > 0) boxes.push({ token, x, y, w, text: shown.length ? shown : '⏎' });
      x += w;
    });
  });
  return { boxes, height: y + lineHeight };
}

export function tokenLossMap(data: TokenLossData, options: TokenLossOptions = {}): VizElement {
  const doc = resolveDocument(options);
  const width = options.width ?? 640;
  const fontSize = options.fontSize ?? 14;
  const lineHeight = Math.round(fontSize * 1.6);
  const font = `${fontSize}px ui-monospace, monospace`;
  let finiteMax = 0;
  for (let i = 0; i < data.losses.length; i++) if (Number.isFinite(data.losses[i])) finiteMax = Math.max(finiteMax, data.losses[i]);
  const maxLoss = options.maxLoss ?? (finiteMax || 1);
  const canvas = h(doc, 'canvas', { class: 'viz-token-loss-canvas' }, { display: 'block' });
  let ctx: CanvasRenderingContext2D | null = null;
  try {
    ctx = canvas.getContext('2d');
  } catch {
    ctx = null;
  }
  if (ctx) ctx.font = font;
  // Without a 2D context (jsdom) a monospace estimate keeps the layout, tooltips and tests meaningful.
  const measure = (s: string) => (ctx ? ctx.measureText(s).width : Array.from(s).length * fontSize * 0.6);
  const { boxes, height } = layoutTokens(data.texts, width, lineHeight, measure);
  const ratio = typeof window !== 'undefined' && window.devicePixelRatio ? window.devicePixelRatio : 1;
  canvas.width = Math.ceil(width * ratio);
  canvas.height = Math.ceil(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const lut = colorLUT('reds');
  const colour = (loss: number) => {
    if (!Number.isFinite(loss)) return 'rgb(235,235,235)';
    const i = Math.max(0, Math.min(255, Math.round((loss / maxLoss) * 255)));
    return `rgb(${lut[i * 3]},${lut[i * 3 + 1]},${lut[i * 3 + 2]})`;
  };
  if (ctx) {
    // The context's font and size reset when the canvas is resized.
    ctx.scale(ratio, ratio);
    ctx.font = font;
    ctx.textBaseline = 'middle';
    for (const b of boxes) {
      const loss = data.losses[b.token];
      ctx.fillStyle = colour(loss);
      ctx.fillRect(b.x, b.y + 1, b.w, lineHeight - 2);
      ctx.fillStyle = Number.isFinite(loss) && loss / maxLoss > 0.6 ? '#fff' : '#111';
      ctx.fillText(b.text, b.x, b.y + lineHeight / 2);
    }
  }
  const root = h(doc, 'div', { class: 'viz-token-loss', 'data-testid': 'token-loss', 'data-tokens': data.texts.length }, { position: 'relative', width: `${width}px` }) as HTMLDivElement & { dispose?: () => void };
  const tip = createTooltip(doc, root);
  const onMove = (ev: MouseEvent) => {
    const p = localPoint(ev, canvas);
    const b = boxes.find((q) => p.x >= q.x && p.x < q.x + q.w && p.y >= q.y && p.y < q.y + lineHeight);
    if (!b) return tip.hide();
    const loss = data.losses[b.token];
    tip.show(p.x + 10, p.y + 10, `#${b.token} ${data.pieces?.[b.token] ?? b.text}: ${Number.isFinite(loss) ? `${loss.toFixed(2)} nats` : 'first token (not predicted)'}`);
  };
  const onLeave = () => tip.hide();
  canvas.addEventListener('mousemove', onMove);
  canvas.addEventListener('mouseleave', onLeave);
  root.append(canvas, colorLegend([0, maxLoss], { document: doc, scheme: 'reds', label: 'loss per token (nats)', width: 240 }));
  root.dispose = () => {
    canvas.removeEventListener('mousemove', onMove);
    canvas.removeEventListener('mouseleave', onLeave);
  };
  return root;
}
