// Node's Buffer has fast latin1 methods that @types/node does not declare (present since Node 0.x).
// latin1 maps bytes 0-255 to chars 1:1, which is how Redust keeps binary-safe JS strings.
declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(s: string, offset?: number, length?: number): number;
  }
}
export {};
