'use client';
// Registers public/sw.js (production builds only): offline copy of the app, and cross-origin isolation where the host
// cannot send COOP/COEP headers: the first visit reloads once, under the worker, to become isolated.
import { useEffect } from 'react';
import { BASE_PATH } from '@/lib/engine/basePath';

const RELOADED = 'tokenformer-lab:coi-reload';

export function ServiceWorker() {
  useEffect(() => {
    if (process.env.NODE_ENV !== 'production' || !('serviceWorker' in navigator) || !window.isSecureContext) return;
    const sw = navigator.serviceWorker;
    const askForOfflineCopy = () => sw.controller?.postMessage({ type: 'precache' });
    const onControllerChange = () => {
      // Reload once: a page is isolated only if its own document came with the headers. sessionStorage stops a loop in
      // a browser where the worker's headers do not help.
      if (!window.crossOriginIsolated && !sessionStorage.getItem(RELOADED)) {
        sessionStorage.setItem(RELOADED, '1');
        window.location.reload();
      } else askForOfflineCopy();
    };
    sw.addEventListener('controllerchange', onControllerChange);
    sw.register(`${BASE_PATH}/sw.js`, { scope: `${BASE_PATH}/` }).then(
      () => {
        if (window.crossOriginIsolated) sessionStorage.removeItem(RELOADED);
        // Already under the worker (a later visit): the offline copy is refreshed for this deployment.
        if (sw.controller) askForOfflineCopy();
      },
      (e: unknown) => console.warn(`service worker not registered (no offline copy): ${e instanceof Error ? e.message : String(e)}`),
    );
    return () => sw.removeEventListener('controllerchange', onControllerChange);
  }, []);
  return null;
}
