'use client';
// CodeMirror 6 editor for one cell: JS highlighting for code, plain text for markdown; run keys go to the notebook.
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, Prec, type Extension } from '@codemirror/state';
import { Decoration, drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { useEffect, useLayoutEffect, useRef } from 'react';

export interface CellEditorProps {
  value: string;
  language: 'javascript' | 'markdown';
  onChange(value: string): void;
  /** Shift+Enter. */
  onRunAdvance(): void;
  /** Mod+Enter. */
  onRun(): void;
  /** Esc: leave edit mode. */
  onEscape(): void;
  onFocus?(): void;
  /** Take the keyboard focus (edit mode entered from the keyboard). */
  focused?: boolean;
  /** 1-based line to mark as the error's line. */
  errorLine?: number;
  readOnly?: boolean;
  ariaLabel?: string;
}

const theme = EditorView.theme({
  '&': { fontSize: '13px', backgroundColor: 'var(--code-bg)' },
  '.cm-content': { fontFamily: 'var(--mono)', padding: '6px 0' },
  '.cm-gutters': { backgroundColor: 'var(--code-bg)', border: 'none', color: 'var(--muted)' },
  '&.cm-focused': { outline: 'none' },
  '.cm-error-line': { backgroundColor: 'var(--error-bg)' },
});

/**
 * Code does not wrap: CodeMirror measures an editor only once it scrolls into view, and before that it guesses the
 * height of wrapped lines (too high), so wrapping code cells would shrink on first sight and shift the page under the
 * pointer. Markdown is edited one cell at a time, in view, so its prose wraps.
 */
function languageExtensions(language: CellEditorProps['language']): Extension {
  return language === 'javascript' ? javascript() : EditorView.lineWrapping;
}

function errorDecorations(line: number | undefined): Extension {
  if (!line) return [];
  return EditorView.decorations.of((view) => {
    if (line < 1 || line > view.state.doc.lines) return Decoration.none;
    const at = view.state.doc.line(line).from;
    return Decoration.set([Decoration.line({ class: 'cm-error-line' }).range(at)]);
  });
}

export function CellEditor(props: CellEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // Callbacks live in a ref so new closures from each render never rebuild the editor.
  const cb = useRef(props);
  useLayoutEffect(() => {
    cb.current = props;
  });
  const langConf = useRef(new Compartment());
  const errorConf = useRef(new Compartment());
  const readOnlyConf = useRef(new Compartment());

  useEffect(() => {
    const runKeys = Prec.highest(
      keymap.of([
        { key: 'Shift-Enter', run: () => (cb.current.onRunAdvance(), true) },
        { key: 'Mod-Enter', run: () => (cb.current.onRun(), true) },
        { key: 'Escape', run: () => (cb.current.onEscape(), true) },
      ]),
    );
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: cb.current.value,
        extensions: [
          runKeys,
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          indentOnInput(),
          bracketMatching(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          langConf.current.of(languageExtensions(cb.current.language)),
          errorConf.current.of(errorDecorations(cb.current.errorLine)),
          readOnlyConf.current.of(EditorState.readOnly.of(Boolean(cb.current.readOnly))),
          theme,
          EditorView.contentAttributes.of({ 'aria-label': cb.current.ariaLabel ?? 'cell source' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) cb.current.onChange(u.state.doc.toString());
            if (u.focusChanged && u.view.hasFocus) cb.current.onFocus?.();
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, []);

  // Outside changes (revert, undo of a kind change) replace the text; the editor's own edits already match.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  useEffect(() => {
    view.current?.dispatch({ effects: langConf.current.reconfigure(languageExtensions(props.language)) });
  }, [props.language]);

  useEffect(() => {
    view.current?.dispatch({ effects: errorConf.current.reconfigure(errorDecorations(props.errorLine)) });
  }, [props.errorLine]);

  useEffect(() => {
    view.current?.dispatch({ effects: readOnlyConf.current.reconfigure(EditorState.readOnly.of(Boolean(props.readOnly))) });
  }, [props.readOnly]);

  useEffect(() => {
    const v = view.current;
    if (props.focused && v && !v.hasFocus) v.focus();
    if (!props.focused && v?.hasFocus) v.contentDOM.blur();
  }, [props.focused]);

  return <div ref={host} className="cell-editor" data-testid="cell-editor" />;
}
