// One streaming zip reader for checkpoints (lib/io) and corpora (lib/data): a leaf both may import.
export { crc32 } from './crc32';
export { firstLocalEntry, isZip, listZipEntries, readZipDirectory, toZipSource, ZipError, type ZipEntry, type ZipErrorCode, type ZipSource } from './directory';
export { MAX_RATIO, PUSH_BYTES, RATIO_GRACE_BYTES, READ_BYTES, readStoredRanges, readZipEntry, streamZipEntry, type EntryReadOptions, type ZipProgress } from './entry';
