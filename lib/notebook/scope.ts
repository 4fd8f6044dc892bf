// Scope analysis of a parsed cell: its top-level names, its free references (inputs) and what it may not do at top level.
import type * as acorn from 'acorn';
import * as walk from 'acorn-walk';

type AnyNode = acorn.AnyNode;
type Visitor = (node: any, state: unknown, ancestors: AnyNode[]) => void;

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);
// Nodes that hold let/const/class declarations (a for-loop's head declares into the loop).
const BLOCKS = new Set(['BlockStatement', 'StaticBlock', 'ForStatement', 'ForInStatement', 'ForOfStatement', 'SwitchStatement', 'Program']);
const BLOCKS_OR_FUNCTIONS = new Set([...BLOCKS, ...FUNCTIONS]);
// Nodes between a binding identifier and what binds it: `const {a: [b = 1, ...c]} = x`.
const PATTERN_PARTS = new Set(['ObjectPattern', 'ArrayPattern', 'RestElement', 'AssignmentPattern', 'Property']);

export interface ScopeInfo {
  /** Names the cell's top-level statements declare, in source order. */
  declarations: string[];
  /** Names used but declared nowhere in the cell, in order of first use (globals included). */
  references: string[];
  /** Identifiers assigned (=, +=, ++, for-of target) that the cell does not declare. */
  externalAssignments: acorn.Identifier[];
  /** A `yield` that belongs to the cell itself (not to a nested generator). */
  topLevelYield: boolean;
  /** A `return` that belongs to the cell itself. */
  topLevelReturn: acorn.ReturnStatement | null;
}

/** Names bound by a declaration pattern (`a`, `{a, b: [c]}`, `...rest`, `d = 1`). */
export function patternNames(p: acorn.Pattern | null, out: string[] = []): string[] {
  if (!p) return out;
  switch (p.type) {
    case 'Identifier':
      out.push(p.name);
      break;
    case 'ObjectPattern':
      for (const prop of p.properties) patternNames(prop.type === 'RestElement' ? prop : prop.value, out);
      break;
    case 'ArrayPattern':
      for (const el of p.elements) patternNames(el, out);
      break;
    case 'RestElement':
      patternNames(p.argument, out);
      break;
    case 'AssignmentPattern':
      patternNames(p.left, out);
      break;
    case 'MemberExpression':
      break;
  }
  return out;
}

const nearest = (ancestors: AnyNode[], types: Set<string>): AnyNode | undefined => {
  // The last ancestor is the node itself, which never scopes its own declaration.
  for (let i = ancestors.length - 2; i >= 0; i--) if (types.has(ancestors[i].type)) return ancestors[i];
  return undefined;
};

/** Analyses the function a cell was wrapped in; `root` is that wrapper, so its top level is the cell's top level. */
export function analyzeScopes(root: acorn.Function): ScopeInfo {
  const scopes = new Map<acorn.Node, Set<string>>();
  const declare = (node: acorn.Node | undefined, names: string[]) => {
    if (!node) return;
    let set = scopes.get(node);
    if (!set) scopes.set(node, (set = new Set()));
    for (const n of names) set.add(n);
  };

  // Pass 1: where every name is declared.
  const declarations: Record<string, Visitor> = {
    VariableDeclaration(node: acorn.VariableDeclaration, _s, anc) {
      const names = node.declarations.flatMap((d) => patternNames(d.id));
      declare(nearest(anc, node.kind === 'var' ? FUNCTIONS : BLOCKS), names);
    },
    Function(node: acorn.Function, _s, anc) {
      const own = node.params.flatMap((p) => patternNames(p));
      if (node.type !== 'ArrowFunctionExpression') own.push('arguments');
      if (node.type === 'FunctionExpression' && node.id) own.push(node.id.name);
      declare(node, own);
      if (node.type === 'FunctionDeclaration' && node.id) declare(nearest(anc, BLOCKS_OR_FUNCTIONS), [node.id.name]);
    },
    Class(node: acorn.Class, _s, anc) {
      if (!node.id) return;
      if (node.type === 'ClassDeclaration') declare(nearest(anc, BLOCKS), [node.id.name]);
      else declare(node, [node.id.name]);
    },
    CatchClause(node: acorn.CatchClause) {
      declare(node, patternNames(node.param ?? null));
    },
  };
  walk.ancestor(root, declarations as walk.AncestorVisitors<unknown>);

  const resolves = (name: string, anc: AnyNode[]) => anc.some((a) => scopes.get(a)?.has(name));
  const ownFunction = (anc: AnyNode[]) => nearest(anc, FUNCTIONS) === root;

  // Pass 2: every use of a name, and the cell-level statements that need the wrapper to be explained away.
  const refs: acorn.Identifier[] = [];
  const externalAssignments: acorn.Identifier[] = [];
  let topLevelYield = false;
  let topLevelReturn: acorn.ReturnStatement | null = null;
  const assigned = (id: AnyNode, anc: AnyNode[]) => {
    if (id.type === 'Identifier' && !resolves(id.name, anc)) externalAssignments.push(id);
  };
  const uses: Record<string, Visitor> = {
    Identifier(node: acorn.Identifier, _s, anc) {
      if (!resolves(node.name, anc)) refs.push(node);
    },
    // acorn-walk reports binding and assignment targets as "VariablePattern"; only assignments matter here.
    VariablePattern(node: acorn.Identifier, _s, anc) {
      let i = anc.length - 2;
      while (i >= 0 && PATTERN_PARTS.has(anc[i].type)) i--;
      const owner = anc[i]?.type;
      if (owner === 'AssignmentExpression' || owner === 'ForInStatement' || owner === 'ForOfStatement') assigned(node, anc);
    },
    UpdateExpression(node: acorn.UpdateExpression, _s, anc) {
      assigned(node.argument, anc);
    },
    ForInStatement(node: acorn.ForInStatement, _s, anc) {
      assigned(node.left, anc);
    },
    ForOfStatement(node: acorn.ForOfStatement, _s, anc) {
      assigned(node.left, anc);
    },
    YieldExpression(_node: acorn.YieldExpression, _s, anc) {
      if (ownFunction(anc)) topLevelYield = true;
    },
    ReturnStatement(node: acorn.ReturnStatement, _s, anc) {
      if (ownFunction(anc) && !topLevelReturn) topLevelReturn = node;
    },
  };
  walk.ancestor(root, uses as walk.AncestorVisitors<unknown>);

  const references = [...new Set(refs.sort((a, b) => a.start - b.start).map((r) => r.name))];
  return {
    declarations: topLevelDeclarations(root),
    references,
    externalAssignments: externalAssignments.sort((a, b) => a.start - b.start),
    topLevelYield,
    topLevelReturn,
  };
}

function topLevelDeclarations(root: acorn.Function): string[] {
  const names: string[] = [];
  const body = root.body.type === 'BlockStatement' ? root.body.body : [];
  for (const s of body) {
    if (s.type === 'VariableDeclaration') for (const d of s.declarations) patternNames(d.id, names);
    else if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && s.id) names.push(s.id.name);
  }
  return [...new Set(names)];
}
