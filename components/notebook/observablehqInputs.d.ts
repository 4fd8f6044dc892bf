// @observablehq/inputs ships no types; cells use it untyped (as in Observable), the app only imports it.
declare module '@observablehq/inputs';
