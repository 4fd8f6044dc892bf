// Types for the part of @observablehq/runtime 6 (plain JS, no bundled types) that lib/notebook/runtime.ts uses.
declare module '@observablehq/runtime' {
  export interface Observer {
    /** The variable starts (re)computing; its inputs may still be pending. */
    pending?(): void;
    /** A value (once for a plain value, once per yield for a generator). */
    fulfilled?(value: unknown, name?: string | null): void;
    rejected?(error: unknown, name?: string | null): void;
  }

  export type Definition = (...inputs: any[]) => unknown;

  export class Variable {
    define(name: string | null, inputs: readonly string[], definition: Definition): this;
    define(inputs: readonly string[], definition: Definition): this;
    define(definition: Definition): this;
    delete(): this;
  }

  export class Module {
    variable(observer?: Observer | boolean, options?: { shadow?: Record<string, Definition> }): Variable;
    define(name: string | null, inputs: readonly string[], definition: Definition): Variable;
    redefine(name: string, inputs: readonly string[], definition: Definition): Variable;
    value(name: string): Promise<unknown>;
    builtin(name: string, value: unknown): void;
  }

  export class Runtime {
    /** Each builtin is a definition: a function is called (once) for its value, anything else is the value. */
    constructor(builtins?: Record<string, unknown>, global?: (name: string) => unknown);
    module(): Module;
    dispose(): void;
  }

  export class RuntimeError extends Error {
    constructor(message: string, input?: string);
    /** The input whose failure caused this error (a name), when it came from an input. */
    readonly input?: string;
  }
}
