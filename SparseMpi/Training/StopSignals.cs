using System.Runtime.InteropServices;

namespace SparseMpi.Training;

/// <summary>
/// SIGTERM (Slurm's time limit, scancel, preemption, mpiexec passing on a kill) and SIGUSR1 (the usual advance
/// notice: <c>#SBATCH --signal=B:USR1@120</c>) no longer kill a training rank outright: they are noted here, and
/// the trainer learns of them in the next step's agreement round, so every rank finishes that step, they write a
/// checkpoint together and the summary, and stop with one line. What was trained since the last periodic
/// checkpoint is kept. A second signal while stopping changes nothing; SIGKILL (a launcher's last resort) still
/// kills.
/// </summary>
public sealed class StopSignals : IDisposable
{
    /// <summary>Linux x86-64's number of SIGUSR1 (PosixSignal has no name for it; raw numbers are allowed).</summary>
    public const int SigUsr1 = 10;
    const int SigTerm = 15;

    readonly PosixSignalRegistration[] _registrations;
    volatile int _received;

    public StopSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Note(context, SigTerm)),
            PosixSignalRegistration.Create((PosixSignal)SigUsr1, context => Note(context, SigUsr1)),
        ];
    }

    void Note(PosixSignalContext context, int signal)
    {
        context.Cancel = true; // keep running until the step's end: the agreement round stops every rank there
        if (_received == 0) _received = signal;
    }

    /// <summary>The first stop signal this process received (its number), or 0.</summary>
    public int Received => _received;

    /// <summary>"SIGTERM" or "SIGUSR1" for a number <see cref="Received"/> can hold.</summary>
    public static string Name(int signal) => signal switch { SigTerm => "SIGTERM", SigUsr1 => "SIGUSR1", _ => $"signal {signal}" };

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
