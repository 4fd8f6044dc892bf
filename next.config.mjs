/** Next.js config: the app is fully static-servable and works offline (tfjs wasm binaries live in public/). */
const nextConfig = {
  reactStrictMode: true,
  // The engine imports Node built-ins only from files the browser never loads.
  turbopack: {},
};
export default nextConfig;
