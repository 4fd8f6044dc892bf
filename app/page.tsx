// The index route: bundled notebooks (read on the server) and the user's own (IndexedDB, in the client list).
import { NotebookIndex } from '@/components/notebook/NotebookIndex';
import { listBundled } from './_lib/bundled';

export default async function IndexPage() {
  const bundled = await listBundled();
  return (
    <>
      <section className="intro">
        <h1>TokenFormer Lab</h1>
        <p>
          Notebooks that build, train and grow TokenFormer language models in your browser, on WebGPU when there is one. Each notebook is a
          Markdown file of cells; edits save in this browser.
        </p>
      </section>
      <NotebookIndex bundled={bundled} />
    </>
  );
}
