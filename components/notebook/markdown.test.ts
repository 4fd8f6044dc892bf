// @vitest-environment jsdom
// Markdown rendering: math through KaTeX, prices left alone, and no active HTML from untrusted notebooks.
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

describe('renderMarkdown', () => {
  it('renders headings and inline math', () => {
    const html = renderMarkdown('# Title\n\nEnergy $E = mc^2$ here.', { trusted: true });
    expect(html).toContain('<h1');
    expect(html).toContain('class="katex"');
    expect(html).toContain('Energy');
  });

  it('renders display math blocks', () => {
    const html = renderMarkdown('Before\n\n$$\n\\sum_i x_i\n$$\n\nAfter', { trusted: true });
    expect(html).toContain('math-display');
    expect(html).toContain('katex-display');
    expect(html).toContain('After');
  });

  it('leaves dollar amounts as text', () => {
    const html = renderMarkdown('It costs $5 and $6.', { trusted: true });
    expect(html).not.toContain('katex');
  });

  it('escapes raw HTML and script links when untrusted', () => {
    const html = renderMarkdown('<img src=x onerror="alert(1)">\n\n[x](javascript:alert(1))', { trusted: false });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('href="javascript:');
  });

  it('keeps raw HTML when trusted', () => {
    expect(renderMarkdown('<b>bold</b>', { trusted: true })).toContain('<b>bold</b>');
  });
});
