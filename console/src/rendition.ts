import type { ManifestRendition } from '../../core/rendition.js';

/** One rendition as a manifest lists it; manifests written before renditions had URLs lack `url`. */
export type Rendition = Omit<ManifestRendition, 'url'> & { url?: string };
