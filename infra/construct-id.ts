/** Turns a kebab or snake name (`smart-crop`) into a construct id (`SmartCrop`), so logical IDs read well. */
export function constructId(name: string): string {
  return name.replace(/(^|[-_\s]+)(\w)/g, (_match, _separator: string, letter: string) =>
    letter.toUpperCase(),
  );
}
