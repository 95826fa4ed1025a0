/// Machine-readable tables of runs for spreadsheets, pandas and other tools.
///
/// Numbers are written in their shortest exact form (Swift's `description`: `0.1`, `1e-05`),
/// so parsing them back gives the same `Double` bits. Accuracies stay fractions in 0...1 here.
public enum ReportTables {}
