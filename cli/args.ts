// Minimal, strict argument parsing for the CLI: `--name value`, `--flag`, positional words; unknown flags are errors.

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** 'string' takes a value; 'boolean' does not. */
  type: 'string' | 'number' | 'boolean';
  required?: boolean;
  help: string;
  default?: string | number | boolean;
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
}

export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export function parseArgs(spec: CommandSpec, argv: string[]): { flags: ParsedFlags; positional: string[] } {
  const flags: ParsedFlags = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    const f = spec.flags[name];
    if (!f) throw new UsageError(`unknown option --${name} for "${spec.name}" (see --help)`);
    if (f.type === 'boolean') {
      flags[name] = true;
      continue;
    }
    const raw = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    if (f.choices && !f.choices.includes(raw)) throw new UsageError(`--${name} must be one of ${f.choices.join(', ')}, got "${raw}"`);
    if (f.type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
      flags[name] = n;
    } else flags[name] = raw;
  }
  for (const [name, f] of Object.entries(spec.flags)) {
    if (flags[name] === undefined && f.default !== undefined) flags[name] = f.default;
    if (f.required && flags[name] === undefined) throw new UsageError(`missing --${name} (${f.help})`);
  }
  return { flags, positional };
}

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const arg = f.type === 'boolean' ? '' : f.choices ? ` <${f.choices.join('|')}>` : ` <${f.type === 'number' ? 'n' : 'value'}>`;
    const extra = [f.required ? 'required' : '', f.default !== undefined ? `default ${f.default}` : ''].filter(Boolean).join(', ');
    return `  --${name}${arg}`.padEnd(40) + f.help + (extra ? ` (${extra})` : '');
  });
  return `${spec.summary}\n\nusage: ${spec.usage}\n\noptions:\n${rows.join('\n')}\n`;
}
