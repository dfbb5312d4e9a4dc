using TorchSharp;
using static TorchSharp.torch;

namespace SparseMpi.Training.Devices;

/// <summary>
/// CUDA ops return before they finish, so a phase timed on the host would show only the launch and the next
/// phase would pay for it. The torch rules wait for the device at the end of each timed phase (microseconds
/// per step) so that ms_select / ms_apply mean what they say; on the CPU there is nothing to wait for.
/// </summary>
public static class DeviceSync
{
    public static void Wait(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }
}
