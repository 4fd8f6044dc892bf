// Names a cell may use without them being cell inputs: the language's and the host's globals.
// A fixed list, not `name in globalThis`, so a cell's inputs are the same in Node, a worker and the page.

const NAMES = `
globalThis undefined NaN Infinity eval isFinite isNaN parseFloat parseInt decodeURI decodeURIComponent encodeURI
encodeURIComponent escape unescape
Object Function Boolean Symbol Error AggregateError EvalError RangeError ReferenceError SyntaxError TypeError URIError
Number BigInt Math Date String RegExp Array Int8Array Uint8Array Uint8ClampedArray Int16Array Uint16Array Int32Array
Uint32Array Float16Array Float32Array Float64Array BigInt64Array BigUint64Array Map Set WeakMap WeakSet WeakRef
FinalizationRegistry ArrayBuffer SharedArrayBuffer DataView Atomics JSON Promise Reflect Proxy Intl Iterator
AsyncIterator
console window self document navigator location history performance crypto fetch Request Response Headers FormData
URL URLSearchParams Blob File FileReader TextEncoder TextDecoder AbortController AbortSignal Event EventTarget
CustomEvent MessageChannel MessagePort BroadcastChannel Worker WebSocket structuredClone queueMicrotask
setTimeout clearTimeout setInterval clearInterval requestAnimationFrame cancelAnimationFrame requestIdleCallback
cancelIdleCallback atob btoa alert confirm prompt getComputedStyle matchMedia indexedDB localStorage sessionStorage
caches Node Element HTMLElement SVGElement HTMLCanvasElement HTMLInputElement DocumentFragment Image ImageData
ImageBitmap OffscreenCanvas createImageBitmap ResizeObserver IntersectionObserver MutationObserver DOMParser
XMLSerializer CSS WebAssembly ReadableStream WritableStream TransformStream CompressionStream DecompressionStream
process Buffer
`;

const KNOWN_GLOBALS: ReadonlySet<string> = new Set(NAMES.split(/\s+/).filter(Boolean));

export function isKnownGlobal(name: string): boolean {
  return KNOWN_GLOBALS.has(name);
}
