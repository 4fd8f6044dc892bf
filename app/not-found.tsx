// 404 page for unknown routes.
import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="notebook-missing">
      <h1>Page not found</h1>
      <Link href="/">Back to all notebooks</Link>
    </div>
  );
}
