/// This build's version, as `baraza --version` prints it and reports name it.
public enum BarazaVersion { public static let current = "0.2.0" }
