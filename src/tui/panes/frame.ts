import { blessed, type Box, type Screen } from '../screen/blessed.js';
import type { Rect } from '../view/layout.js';
import type { Row, Style } from '../view/lines.js';

// What every pane shares: a bordered box placed by the layout, and styled rows turned into blessed markup.
// Text reaching blessed is escaped here, the one place `{` and `}` in a message are neutralised.

export const FOCUS_COLOR = 'cyan';
export const BORDER_COLOR = 'gray';

export function frame(screen: Screen, label: string): Box {
  return blessed.box({
    parent: screen as never,
    tags: true,
    // We wrap text ourselves (by cells); blessed's wrapper also breaks full-width rows that end in colour codes.
    wrap: false,
    border: { type: 'line' },
    label,
    style: { border: { fg: BORDER_COLOR }, label: { fg: 'white' } },
  });
}

export function place(box: Box, r: Rect | undefined): void {
  if (!r) {
    box.hide();
    return;
  }
  box.show();
  box.top = r.top;
  box.left = r.left;
  box.width = r.width;
  box.height = r.height;
}

function openTag(s: Style): string {
  let t = '';
  if (s.bold) t += '{bold}';
  if (s.dim) t += '{gray-fg}';
  if (s.inverse) t += '{inverse}';
  if (s.fg) t += `{${s.fg}-fg}`;
  if (s.bg) t += `{${s.bg}-bg}`;
  return t;
}

export function markup(row: Row): string {
  return row.map((seg) => (seg.style ? `${openTag(seg.style)}${blessed.escape(seg.text)}{/}` : blessed.escape(seg.text))).join('');
}

export function content(rows: Row[]): string {
  return rows.map(markup).join('\n');
}

export function setFocused(box: Box, focused: boolean, alert = false): void {
  const style = box.style as { border: { fg: string }; label?: { fg: string; bold?: boolean } };
  style.border.fg = focused ? FOCUS_COLOR : alert ? 'magenta' : BORDER_COLOR;
  if (style.label) {
    style.label.fg = alert ? 'magenta' : 'white';
    style.label.bold = alert;
  }
}
