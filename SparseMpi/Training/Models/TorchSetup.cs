using TorchSharp;

namespace SparseMpi.Training.Models;

/// <summary>
/// Process-wide torch settings. One intra-op and one inter-op thread per process: under mpiexec there is one
/// rank per core, and ranks that each spawn a thread per core fight over the cores.
/// </summary>
public static class TorchSetup
{
    static readonly Lock Gate = new();
    static bool _initialized;

    /// <summary>Idempotent. <see cref="FlatModel.Create"/> calls it; a program doing torch work before that calls it first.</summary>
    public static void Initialize()
    {
        lock (Gate)
        {
            if (_initialized)
                return;
            torch.set_num_threads(1);
            // libtorch aborts the whole process (an uncatchable c10::Error) when the inter-op thread count is set
            // a second time or after its pool has started, hence the once-only guard. Eager ops never start that
            // pool (only async launches do), so doing this at first use is safe.
            if (torch.get_num_interop_threads() != 1)
                torch.set_num_interop_threads(1);
            _initialized = true;
        }
    }
}
