/**
 * The text of a CSV file as a spreadsheet saved it: UTF-8 (with or without a
 * BOM) when the bytes are valid UTF-8, else Windows-1252, which Excel in
 * French still writes for « CSV (séparateur : point-virgule) ».
 */
export function csvText(bytes: ArrayBuffer | Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}
