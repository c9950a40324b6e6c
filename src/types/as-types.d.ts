/** AssemblyScript's integer types, as TypeScript sees them in the files both compilers read (src/engine/wasm/abi.ts). */
type u32 = number;
type i32 = number;
