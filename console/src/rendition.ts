/** One rendition as the manifest lists it (DOM-free, so the snippet builder and its tests need no browser types). */
export interface Rendition {
  preset: string;
  format: string;
  bucket: string;
  key: string;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
  url?: string;
}
