// Placeholder until the config engineer's hostile config cases land (replaced at merge).
import type { HostileCase } from './types';

export const configCases: HostileCase[] = [];
