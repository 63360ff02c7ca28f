// libFuzzer targets for the parsers that read what a request, a file or a peer sends (Fuzz/README.md). One
// executable holds them all; the first argument names the target, the rest go to libFuzzer:
//
//     .build-fuzz/debug/breaker-fuzz ttl -max_total_time=30 Fuzz/Corpus/ttl
//
// It reaches the modules' internal parsers through `@testable import` (a debug build has testing enabled), so
// no fuzzing entry point is added to the library's API. libFuzzer's own `main` is not linked in: this file is
// the program's main and hands control to `LLVMFuzzerRunDriver`, which is how a Swift executable target (whose
// main SwiftPM provides) can be a fuzzer.

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's driver: parses its flags from `argv` and calls `callback` with each input.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

let name = CommandLine.arguments.dropFirst().first ?? ""
guard let target = FuzzTarget.all[name] else {
    let names = FuzzTarget.all.keys.sorted().joined(separator: ", ")
    print("usage: breaker-fuzz TARGET [libFuzzer flags] [corpus…]; targets: \(names)")
    exit(2)
}
FuzzTarget.selected = target

// libFuzzer sees the program name and the arguments after the target's name.
var arguments = [CommandLine.arguments[0]] + CommandLine.arguments.dropFirst(2)
var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
var count = Int32(arguments.count)
let status = pointers.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var base = buffer.baseAddress
    return LLVMFuzzerRunDriver(&count, &base) { data, size in
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        FuzzTarget.selected?.run(bytes)
        return 0
    }
}
exit(status)
