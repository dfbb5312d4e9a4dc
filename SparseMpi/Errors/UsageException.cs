namespace SparseMpi.Errors;

/// <summary>
/// An error the user can fix (bad option, missing or corrupt file, mismatched checkpoint). The program prints
/// its message as one line, without a stack trace, and exits non-zero.
/// </summary>
public sealed class UsageException(string message) : Exception(message);
