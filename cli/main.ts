// The `tokenformer` command line: one in-process engine, the same code the app runs in its worker.
import { helpText, parseArgs, UsageError, type CommandSpec, type ParsedFlags } from './args';
import { convertCommand, convertSpec, growCommand, growSpec, logitsCommand, logitsSpec } from './commands/model';
import { evalCommand, evalSpec, generateCommand, generateSpec, trainCommand, trainSpec } from './commands/train';
import { dataCommand, dataSpec } from './commands/data';
import { exportNeoxCommand, exportNeoxSpec, importNeoxCommand, importNeoxSpec } from './commands/neox';
import { reportUsageOnExit } from './usage';

const COMMANDS: Record<string, { spec: CommandSpec; run: (f: ParsedFlags, positional: string[]) => Promise<void> }> = {
  train: { spec: trainSpec, run: trainCommand },
  eval: { spec: evalSpec, run: evalCommand },
  generate: { spec: generateSpec, run: generateCommand },
  logits: { spec: logitsSpec, run: logitsCommand },
  grow: { spec: growSpec, run: growCommand },
  convert: { spec: convertSpec, run: convertCommand },
  data: { spec: dataSpec, run: dataCommand },
  'export-neox': { spec: exportNeoxSpec, run: exportNeoxCommand },
  'import-neox': { spec: importNeoxSpec, run: importNeoxCommand },
};

function overview(): string {
  const rows = Object.values(COMMANDS).map(({ spec }) => `  ${spec.name.padEnd(13)}${spec.summary.split('. ')[0].replace(/\.$/, '')}`);
  return `tokenformer: train, grow and inspect TokenFormer models\n\nusage: npm run -s tokenformer -- <command> [options]   (each command has --help)\n\ncommands:\n${rows.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  reportUsageOnExit();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText(cmd.spec));
    return 0;
  }
  try {
    const { flags, positional } = parseArgs(cmd.spec, rest);
    await cmd.run(flags, positional);
    return 0;
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`tokenformer ${name}: ${err.message}\n`);
    if (err instanceof UsageError) process.stderr.write(`(see: npm run -s tokenformer -- ${name} --help)\n`);
    else if (process.env.TOKENFORMER_DEBUG) process.stderr.write(`${err.stack}\n`);
    // Commands may name their own code (train: 3 when the run diverged).
    const code = (err as { exitCode?: unknown }).exitCode;
    return err instanceof UsageError ? 2 : typeof code === 'number' ? code : 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
