// swift-tools-version:6.1
// Fuzz targets for Baraza's readers. Build and run with ./run.sh (libFuzzer through
// -sanitize=fuzzer); built without -DBARAZA_FUZZ, each target replays the files it is given.
import PackageDescription

let package = Package(
    name: "BarazaFuzz",
    dependencies: [
        .package(name: "Baraza", path: ".."),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // One target for both readers; BARAZA_FUZZ_FORMAT=csv|xml|xlsx|consultation|report picks which.
        .executableTarget(
            name: "FuzzReaders",
            dependencies: [
                .product(name: "BarazaPipeline", package: "Baraza"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
