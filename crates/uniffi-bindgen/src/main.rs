//! Generates Python or Kotlin bindings from the compiled `strongroom-ffi` library
//! (library mode): `uniffi-bindgen generate --library <lib> --language kotlin --out-dir <dir>`.
fn main() {
    uniffi::uniffi_bindgen_main()
}
