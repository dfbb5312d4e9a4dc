namespace SparseMpi.Collectives;

/// <summary>An MPI call returned an error (the binding sets MPI_ERRORS_RETURN). Carries MPI_Error_string.</summary>
public sealed class MpiException(string function, int errorCode, string errorString)
    : Exception($"{function} failed: {errorString} (MPI error {errorCode})")
{
    public string Function { get; } = function;
    public int ErrorCode { get; } = errorCode;
}

/// <summary>The MPI library could not be found or loaded, or is not an MPI library; the message says which and what was tried.</summary>
public sealed class MpiLibraryNotFoundException(string message) : Exception(message);
