using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SparseMpi.Training.Data;
using SparseMpi.Training.Devices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SparseMpi.Collectives;

namespace SparseMpi.Training.Models;

/// <summary>
/// A torch model whose parameters are views into ONE contiguous float32 tensor of length <see cref="D"/>, and
/// whose gradients are views into ONE other, so the whole model is a single span to sparsify, communicate and
/// update, with no gather or scatter per step. Backward accumulates into the bound gradient views in place
/// (autograd adds into an existing .grad instead of replacing it, as long as backward does not build a graph
/// of its own, i.e. no create_graph), and <see cref="ComputeGradient"/> zeroes the
/// flat gradient in place first. The module itself stays private: its zero_grad() would set every .grad to
/// None and the next backward would silently allocate fresh, unbound gradients.
/// <para>On a GPU both flat tensors live on the device; host code (MPI, checkpoints, hashes) reaches the
/// parameters only through <see cref="CopyParametersTo"/> / <see cref="CopyParametersFrom"/>, which go through
/// one host staging buffer allocated at first use. The spans exist only on the CPU.</para>
/// </summary>
public sealed unsafe class FlatModel : IDisposable
{
    readonly nn.Module<Tensor, Tensor> _module;
    readonly Parameter[] _parameters;
    readonly float* _flatParameters;   // null unless on the CPU
    readonly float* _flatGradients;
    BatchBuffer? _evaluationBatch;
    DeviceBatch? _evaluationOnDevice;
    HostStaging<float>? _staging;

    /// <summary>The model's name in <see cref="ModelFactory.Names"/>.</summary>
    public string Name { get; }

    /// <summary>The number of parameters, the length of both flat buffers.</summary>
    public int D { get; }

    /// <summary>All parameters, float32 [D]. Every parameter tensor of the model is a view into it.</summary>
    public Tensor FlatParameters { get; }

    /// <summary>All gradients, float32 [D]. Every parameter's .grad is a view into it.</summary>
    public Tensor FlatGradients { get; }

    /// <summary>Where each named parameter sits in the flat buffers, in the module's parameter order.</summary>
    public IReadOnlyList<ParameterSlice> Layout { get; }

    /// <summary>Where the parameters, gradients and the module's computation live.</summary>
    public Device Device { get; }

    /// <summary>True when the flat buffers are host memory, so the spans below exist.</summary>
    public bool OnCpu { get; }

    /// <summary>The parameters in place: writing here changes the model. CPU only.</summary>
    public Span<float> ParameterSpan => new(OnCpu ? _flatParameters : ThrowNotOnCpu(nameof(ParameterSpan)), D);

    /// <summary>The gradient of the last <see cref="ComputeGradient"/>, in place. CPU only.</summary>
    public Span<float> GradientSpan => new(OnCpu ? _flatGradients : ThrowNotOnCpu(nameof(GradientSpan)), D);

    float* ThrowNotOnCpu(string what) => throw new InvalidOperationException(
        $"{what} is host memory, but this model lives on {Device}: use the flat tensors, or CopyParametersTo/From");

    /// <summary>
    /// Builds model <paramref name="name"/> (one of <see cref="ModelFactory.Names"/>) initialised from
    /// <paramref name="seed"/> and binds it to flat buffers on the CPU. Also applies <see cref="TorchSetup"/>.
    /// </summary>
    public static FlatModel Create(string name, long seed) => Create(name, seed, torch.CPU);

    /// <summary>
    /// As above, on <paramref name="device"/>. The module is built and initialised on the CPU first, so every
    /// rank starts from the same weights whatever its device (CUDA's generator draws other numbers), then moved.
    /// </summary>
    public static FlatModel Create(string name, long seed, Device device) => Create(name, seed, device, null);

    /// <summary>As above, with the mlp's hidden widths (<paramref name="hidden"/>; null: the default).</summary>
    public static FlatModel Create(string name, long seed, Device device, IReadOnlyList<int>? hidden)
    {
        TorchSetup.Initialize();
        var module = ModelFactory.Create(name, seed, hidden);
        if (device.type != DeviceType.CPU) module.to(device);
        return new FlatModel(name, module, device);
    }

    /// <summary>
    /// <paramref name="d"/> zero parameters on the CPU with no forward pass (<see cref="SyntheticParameters"/>): for
    /// bench-step, which writes synthetic gradients into <see cref="GradientSpan"/> and drives the real update rules.
    /// </summary>
    public static FlatModel Synthetic(int d)
    {
        TorchSetup.Initialize();
        return new FlatModel("synthetic", new SyntheticParameters(d), torch.CPU);
    }

    FlatModel(string name, nn.Module<Tensor, Tensor> module, Device device)
    {
        Name = name;
        _module = module;
        Device = device;
        OnCpu = device.type == DeviceType.CPU;
        var named = module.named_parameters().ToArray();
        _parameters = named.Select(p => p.parameter).ToArray();
        long d = _parameters.Sum(p => p.numel());
        // Span<float> is indexed by int; 2^31-1 floats (8 GiB) is far beyond the models here.
        if (d > int.MaxValue)
            throw new NotSupportedException($"{name} has {d} parameters, more than one span can address");
        D = (int)d;
        FlatParameters = torch.empty(D, ScalarType.Float32, device);
        FlatGradients = torch.zeros(D, ScalarType.Float32, device);
        var layout = new ParameterSlice[named.Length];
        int offset = 0;
        using (torch.no_grad())
        {
            for (int i = 0; i < named.Length; i++)
            {
                Parameter parameter = _parameters[i];
                long[] shape = parameter.shape;
                int length = (int)parameter.numel();
                using (Tensor values = FlatParameters.narrow(0, offset, length).view(shape))
                {
                    values.copy_(parameter);
                    // Re-points the parameter at the flat storage; set_ returns the parameter itself, which must
                    // not be disposed.
                    parameter.set_(values);
                }
                using (Tensor gradient = FlatGradients.narrow(0, offset, length).view(shape))
                    parameter.grad = gradient;
                layout[i] = new ParameterSlice(named[i].name, offset, length, shape);
                offset += length;
            }
        }
        Layout = layout;
        // The flat tensors are never resized or replaced, so their storage does not move while this object lives.
        if (OnCpu)
        {
            _flatParameters = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(FlatParameters.bytes));
            _flatGradients = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(FlatGradients.bytes));
        }
    }

    /// <summary>
    /// Logits [B, 10] for input [B, 1, 28, 28] or [B, 784]; the caller disposes them, intermediates are released
    /// here. Gradients are recorded unless the caller is under torch.no_grad().
    /// </summary>
    public Tensor Forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return _module.forward(input).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The mean cross-entropy gradient of one batch into <see cref="GradientSpan"/> (overwriting the previous
    /// one); returns the batch's mean loss.
    /// </summary>
    public float ComputeGradient(Tensor input, Tensor target)
    {
        ZeroGradients();
        using var scope = torch.NewDisposeScope();
        Tensor loss = nn.functional.cross_entropy(_module.forward(input), target);
        loss.backward();
        return loss.item<float>();
    }

    /// <summary>
    /// Adds the gradient of l2/2 ||w||^2 (l2 * w, over every parameter) to the last <see cref="ComputeGradient"/>
    /// in place and returns that penalty, so loss + penalty is the regularised objective at these parameters.
    /// </summary>
    public double AddL2(double l2)
    {
        if (OnCpu)
        {
            Span<float> w = ParameterSpan, g = GradientSpan;
            double squares = 0;
            float scale = (float)l2;
            for (int i = 0; i < w.Length; i++) { squares += (double)w[i] * w[i]; g[i] += scale * w[i]; }
            return 0.5 * l2 * squares;
        }
        using var scope = torch.NewDisposeScope();
        double sq = FlatParameters.dot(FlatParameters).item<float>();
        FlatGradients.add_(FlatParameters, alpha: l2);
        return 0.5 * l2 * sq;
    }

    /// <summary>Every parameter to zero (x0 = 0 of a convex model), in place.</summary>
    public void ZeroParameters()
    {
        using var noGrad = torch.no_grad();
        FlatParameters.zero_();
    }

    /// <summary>l2/2 ||w||^2 of the current parameters (CPU: in double; elsewhere: torch's float dot).</summary>
    public double L2Penalty(double l2)
    {
        if (l2 == 0) return 0;
        if (OnCpu)
        {
            double squares = 0;
            foreach (float x in ParameterSpan) squares += (double)x * x;
            return 0.5 * l2 * squares;
        }
        using var scope = torch.NewDisposeScope();
        return 0.5 * l2 * FlatParameters.dot(FlatParameters).item<float>();
    }

    /// <summary>Zeroes the flat gradient in place; the per-parameter gradient views stay bound.</summary>
    public void ZeroGradients()
    {
        if (OnCpu) GradientSpan.Clear();
        else FlatGradients.zero_();
    }

    /// <summary>Copies the parameters into <paramref name="destination"/> (length <see cref="D"/>) through the host staging buffer.</summary>
    public void CopyParametersTo(Span<float> destination)
    {
        CheckLength(destination.Length);
        Staging.Download(FlatParameters, D).CopyTo(destination);
    }

    /// <summary>Overwrites the parameters with <paramref name="source"/> (length <see cref="D"/>) through the host staging buffer.</summary>
    public void CopyParametersFrom(ReadOnlySpan<float> source)
    {
        CheckLength(source.Length);
        source.CopyTo(Staging.Span);
        Staging.Upload(FlatParameters, D);
    }

    void CheckLength(int length)
    {
        if (length != D) throw new ArgumentException($"{length} floats for a model of d = {D}");
    }

    /// <summary>One d-sized host buffer, allocated at first use (a CPU run that never needs it never pays for it).</summary>
    HostStaging<float> Staging => _staging ??= new HostStaging<float>(D, Device);

    /// <summary>
    /// Accuracy and mean loss over all of <paramref name="set"/>, in batches of <paramref name="batchSize"/> (the
    /// last may be partial). The batch tensors are kept for the next evaluation with the same batch size.
    /// </summary>
    public Evaluation Evaluate(ImageSet set, int batchSize) => Evaluate(set, 0, set.Count, batchSize);

    /// <summary>
    /// As above, over images [<paramref name="first"/>, first + <paramref name="count"/>) of <paramref name="set"/>,
    /// read in place: evaluating a part of a set must not copy it (a 15.7 MB copy per evaluation made each rank's
    /// memory grow by hundreds of MB over 20 epochs, issue 17).
    /// </summary>
    public Evaluation Evaluate(ImageSet set, int first, int count, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + count, set.Count);
        if (_evaluationBatch?.Capacity != batchSize)
        {
            _evaluationBatch?.Dispose();
            _evaluationBatch = new BatchBuffer(batchSize);
        }
        BatchBuffer batch = _evaluationBatch;
        using var noGrad = torch.no_grad();
        long correct = 0;
        double lossSum = 0;
        for (int done = 0; done < count; done += batchSize)
        {
            int rows = Math.Min(batchSize, count - done);
            batch.FillRange(set, first + done, rows);
            using var scope = torch.NewDisposeScope();
            var (fullInput, fullTarget) = OnCpu ? (batch.Input, batch.Target) : EvaluationOnDevice(batch);
            Tensor input = rows == batchSize ? fullInput : fullInput.narrow(0, 0, rows);
            Tensor target = rows == batchSize ? fullTarget : fullTarget.narrow(0, 0, rows);
            Tensor logits = _module.forward(input);
            lossSum += nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.argmax(1).eq(target).sum().item<long>();
        }
        return new Evaluation(count, count == 0 ? 0 : (double)correct / count,
            count == 0 ? 0 : lossSum / count);
    }

    (Tensor Input, Tensor Target) EvaluationOnDevice(BatchBuffer batch)
    {
        if (_evaluationOnDevice?.Capacity != batch.Capacity)
        {
            _evaluationOnDevice?.Dispose();
            _evaluationOnDevice = new DeviceBatch(batch.Capacity, Device);
        }
        return _evaluationOnDevice.Load(batch.Input, batch.Target);
    }

    /// <summary>
    /// FNV-1a of the parameter bytes: equal on two ranks exactly when their parameters are bit-identical (up to
    /// hash collisions). Off the CPU, of the bytes copied to the host.
    /// </summary>
    public ulong ParameterHash() => Fnv1a.Hash(OnCpu ? ParameterSpan : Staging.Download(FlatParameters, D));

    /// <summary>
    /// Null when every parameter and every .grad still lives at its slot of the flat buffers, else which one
    /// does not: a cheap check for start-up, after loading a checkpoint, or in tests.
    /// </summary>
    public string? FindBindingProblem()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            ParameterSlice slot = Layout[i];
            if (DataPointer(_parameters[i]) != DataPointer(FlatParameters) + slot.Offset * sizeof(float))
                return $"parameter {slot.Name} no longer lives in the flat parameter buffer";
            using Tensor? gradient = _parameters[i].grad;
            if (gradient is null)
                return $"parameter {slot.Name} has no gradient (was zero_grad called on the module?)";
            if (DataPointer(gradient) != DataPointer(FlatGradients) + slot.Offset * sizeof(float))
                return $"the gradient of {slot.Name} no longer lives in the flat gradient buffer";
        }
        return null;
    }

    /// <summary>The parameter tensors themselves, for tests that compare them with the flat buffers.</summary>
    internal IReadOnlyList<Parameter> ParameterTensors => _parameters;

    /// <summary>The address of a tensor's first element on any device (its storage's base plus its offset).</summary>
    static nint DataPointer(Tensor tensor)
    {
        using var storage = tensor.storage<float>();
        return storage.data_ptr() + (nint)(tensor.storage_offset() * sizeof(float));
    }

    public void Dispose()
    {
        _evaluationBatch?.Dispose();
        _evaluationOnDevice?.Dispose();
        _staging?.Dispose();
        _module.Dispose();
        FlatParameters.Dispose();
        FlatGradients.Dispose();
    }
}
