// Re-export of lib/format/numbers for the panels that still import it here (trainer.ts, checkpoints.ts): the
// formatters themselves live in lib/format/numbers.ts, shared with the CLI and share links.
export { formatBytes, formatClock, formatCount } from '@/lib/format/numbers';
