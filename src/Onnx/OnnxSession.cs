using System.Runtime.InteropServices;
using Ort = Microsoft.ML.OnnxRuntime;

namespace MlNetStem.Onnx;

/// <summary>
/// An ONNX Runtime inference session (a <c>Microsoft.ML.OnnxRuntime.InferenceSession</c>
/// underneath). <c>Run</c> may be called from several threads at once; inputs are checked
/// against the model's declared names, types and shapes before any native call, so bad input
/// raises an <see cref="ArgumentException"/> instead of reaching the runtime. Every failure of
/// the runtime itself surfaces as <see cref="OnnxRuntimeException"/>.
/// </summary>
public sealed class OnnxSession : IDisposable
{
    // ORT rejects a NULL data pointer even for empty tensors; any valid address will do.
    private static readonly long[] EmptyBuffer = GC.AllocateArray<long>(1, pinned: true);

    private readonly Ort.InferenceSession _session;
    // Shared by every run that cannot be cancelled: it is never terminated, so sharing is safe.
    private readonly Ort.RunOptions _runOptions;
    private readonly Dictionary<string, OnnxTensorInfo> _inputsByName;
    private readonly Dictionary<string, OnnxTensorInfo> _outputsByName;
    // One reference for the owner plus one per run in flight; the native session is released
    // when the count reaches zero, so Dispose during a run on another thread is safe.
    private int _references = 1;
    private int _disposed;

    private OnnxSession(Ort.InferenceSession session)
    {
        _session = session;
        Inputs = ReadInfos(session.InputNames, session.InputMetadata, "SessionGetInputTypeInfo");
        Outputs = ReadInfos(session.OutputNames, session.OutputMetadata, "SessionGetOutputTypeInfo");
        _inputsByName = Inputs.ToDictionary(i => i.Name);
        _outputsByName = Outputs.ToDictionary(o => o.Name);
        _runOptions = OnnxRuntime.Call("CreateRunOptions", () => new Ort.RunOptions());
    }

    /// <summary>The model's inputs, in declaration order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>The model's outputs, in declaration order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>Loads a model file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (negative thread count, unknown optimization level).</exception>
    /// <exception cref="OnnxRuntimeException">ORT rejected the model (corrupt, unsupported operator...) or an option
    /// (e.g. <see cref="OnnxSessionOptions.CudaDeviceId"/> on a CPU build).</exception>
    /// <exception cref="DllNotFoundException">The ONNX Runtime native library is missing from the application's output.</exception>
    public static OnnxSession Load(string path, OnnxSessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"ONNX model '{full}' does not exist.", full);
        return Create(options, o => new Ort.InferenceSession(full, o), $"CreateSession('{full}')");
    }

    /// <summary>Creates a session from serialized model bytes.</summary>
    /// <exception cref="ArgumentException">The buffer is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (negative thread count, unknown optimization level).</exception>
    /// <exception cref="OnnxRuntimeException">ORT rejected the model (corrupt, truncated, unsupported...) or an option
    /// (e.g. <see cref="OnnxSessionOptions.CudaDeviceId"/> on a CPU build).</exception>
    /// <exception cref="DllNotFoundException">The ONNX Runtime native library is missing from the application's output.</exception>
    public static OnnxSession FromBytes(ReadOnlySpan<byte> model, OnnxSessionOptions? options = null)
    {
        if (model.IsEmpty) throw new ArgumentException("The model buffer is empty.", nameof(model));
        byte[] bytes = model.ToArray(); // the managed API takes an array; ORT keeps no reference to it
        return Create(options, o => new Ort.InferenceSession(bytes, o), "CreateSessionFromArray");
    }

    /// <summary>
    /// Runs the model on a batch. Every declared input must be given; outputs are returned
    /// in the order asked for (all declared outputs when <paramref name="outputNames"/> is empty).
    /// </summary>
    /// <exception cref="ArgumentException">An input is unknown, missing, of the wrong element type, rank or
    /// fixed dimension, or inconsistent on a shared symbolic dimension; or an output name is unknown or repeated.
    /// The message names the value, what the model expects and what was given.</exception>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    /// <exception cref="OnnxRuntimeException">The runtime failed while running.</exception>
    /// <exception cref="NotSupportedException">An output is not a tensor, or of an element type <see cref="OnnxTensor"/> cannot hold.</exception>
    public IReadOnlyDictionary<string, OnnxTensor> Run(IReadOnlyDictionary<string, OnnxTensor> inputs,
        params string[] outputNames) => Run(inputs, outputNames, CancellationToken.None);

    /// <summary>
    /// Runs the model on a batch; cancelling <paramref name="cancellationToken"/> asks ORT to
    /// stop the run (it stops between kernels, so a single long kernel still finishes).
    /// Inputs are handed to ORT in place (their arrays pinned for the run, not copied); outputs
    /// are copied once, into fresh arrays.
    /// </summary>
    /// <param name="inputs">Every declared input, by name.</param>
    /// <param name="outputNames">Outputs to compute, in the order returned; empty for all.</param>
    /// <param name="cancellationToken">Stops the run when cancelled.</param>
    /// <exception cref="ArgumentException">An input or output does not match the model (see the other overload).</exception>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before or during the run.</exception>
    /// <exception cref="OnnxRuntimeException">The runtime failed while running.</exception>
    /// <exception cref="NotSupportedException">An output is not a tensor, or of an element type <see cref="OnnxTensor"/> cannot hold.</exception>
    public IReadOnlyDictionary<string, OnnxTensor> Run(IReadOnlyDictionary<string, OnnxTensor> inputs,
        IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputNames);
        ValidateInputs(inputs);
        string[] outputs = outputNames.Count == 0 ? Outputs.Select(o => o.Name).ToArray() : outputNames.ToArray();
        ValidateOutputs(outputs);
        cancellationToken.ThrowIfCancellationRequested();

        var ordered = inputs.ToArray();
        int nIn = ordered.Length;
        var names = new string[nIn];
        var pins = new GCHandle[nIn];
        var values = new List<Ort.OrtValue>(nIn);
        Ort.RunOptions? cancellable = null;
        CancellationTokenRegistration registration = default;
        Ort.IDisposableReadOnlyCollection<Ort.OrtValue>? results = null;
        AddReference();
        try
        {
            for (int i = 0; i < nIn; i++)
            {
                var (name, tensor) = (ordered[i].Key, ordered[i].Value);
                names[i] = name;
                // ORT does not copy the buffer: it stays pinned until the value is released.
                pins[i] = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
                values.Add(CreateValue(tensor, pins[i].AddrOfPinnedObject(), name));
            }

            if (cancellationToken.CanBeCanceled)
            {
                cancellable = OnnxRuntime.Call("CreateRunOptions", () => new Ort.RunOptions());
                var options = cancellable;
                // Runs on the cancelling thread: it must not throw there, so a failure to set
                // the flag is dropped and the run simply completes.
                registration = cancellationToken.Register(() =>
                {
                    try { options.Terminate = true; }
                    catch (Ort.OnnxRuntimeException) { }
                });
            }

            try
            {
                results = _session.Run(cancellable ?? _runOptions, names, values, outputs);
            }
            catch (Ort.OnnxRuntimeException e) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The ONNX Runtime run was cancelled.", e, cancellationToken);
            }
            catch (Ort.OnnxRuntimeException e)
            {
                throw OnnxRuntime.Wrap("Run", e);
            }

            var result = new Dictionary<string, OnnxTensor>(outputs.Length);
            int k = 0;
            foreach (var value in results) result[outputs[k]] = CopyOut(value, outputs[k++]);
            return result;
        }
        finally
        {
            registration.Dispose(); // waits for a callback in flight, so the run options outlive it
            cancellable?.Dispose();
            results?.Dispose();
            foreach (var v in values) v.Dispose();
            foreach (var pin in pins) if (pin.IsAllocated) pin.Free();
            ReleaseReference();
        }
    }

    /// <summary>Runs that hold the native session right now (each has taken its reference; tests wait on this).</summary>
    internal int RunsInFlight => Volatile.Read(ref _references) - (Volatile.Read(ref _disposed) == 0 ? 1 : 0);

    /// <summary>Releases the native session. Runs already in progress finish first.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) ReleaseReference();
    }

    private void AddReference()
    {
        while (true)
        {
            int seen = Volatile.Read(ref _references);
            ObjectDisposedException.ThrowIf(seen == 0, this);
            if (Interlocked.CompareExchange(ref _references, seen + 1, seen) == seen) return;
        }
    }

    private void ReleaseReference()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static OnnxSession Create(OnnxSessionOptions? options, Func<Ort.SessionOptions, Ort.InferenceSession> open,
        string operation)
    {
        Ort.InferenceSession session;
        using (var ortOptions = CreateOptions(options ?? OnnxSessionOptions.Default))
            session = OnnxRuntime.Call(operation, () => open(ortOptions));
        try
        {
            return new OnnxSession(session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static Ort.OrtValue CreateValue(OnnxTensor tensor, nint data, string name)
    {
        long bytes = tensor.ElementCount * OnnxTensor.ElementSize(tensor.ElementType);
        if (data == 0) data = Marshal.UnsafeAddrOfPinnedArrayElement(EmptyBuffer, 0);
        long[] shape = tensor.ShapeSpan.ToArray(); // ORT copies the shape, not the data
        return OnnxRuntime.Call($"CreateTensorWithDataAsOrtValue('{name}')", () =>
            Ort.OrtValue.CreateTensorValueWithData(Ort.OrtMemoryInfo.DefaultInstance,
                (Ort.Tensors.TensorElementType)tensor.ElementType, shape, data, bytes));
    }

    private static OnnxTensor CopyOut(Ort.OrtValue value, string name)
    {
        if (value.OnnxType != Ort.OnnxValueType.ONNX_TYPE_TENSOR)
            throw new NotSupportedException($"Output '{name}' is a {value.OnnxType}, not a tensor; only tensor outputs are supported.");
        var info = OnnxRuntime.Call($"GetTensorTypeAndShape('{name}')", value.GetTensorTypeAndShape);
        var elementType = (OnnxElementType)info.ElementDataType;
        Array data = OnnxTensor.NewArray(elementType, info.ElementCount);
        if (info.ElementCount > 0)
        {
            long bytes = info.ElementCount * OnnxTensor.ElementSize(elementType);
            if (bytes > int.MaxValue)
                throw new NotSupportedException($"Output '{name}' holds {bytes} bytes; at most {int.MaxValue} are supported.");
            Span<byte> source;
            try
            {
                source = value.GetTensorMutableRawData(); // ORT's own buffer: one copy, straight into the array
            }
            catch (Ort.OnnxRuntimeException e)
            {
                throw OnnxRuntime.Wrap($"GetTensorMutableData('{name}')", e);
            }
            source.CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(data), (int)bytes));
        }
        return OnnxTensor.Wrap(data, info.Shape, elementType);
    }

    private void ValidateInputs(IReadOnlyDictionary<string, OnnxTensor> inputs)
    {
        var symbols = new Dictionary<string, (long Size, string Input)>();
        foreach (var (name, tensor) in inputs)
        {
            if (!_inputsByName.TryGetValue(name, out var info))
                throw new ArgumentException(
                    $"The model has no input '{name}'. Its inputs are: {string.Join("; ", Inputs)}.", nameof(inputs));
            if (tensor is null) throw new ArgumentException($"Input '{name}' is null.", nameof(inputs));
            if (!info.IsTensor)
                throw new ArgumentException($"Input '{name}' is not a tensor input; only tensors are supported.", nameof(inputs));
            if (tensor.ElementType != info.ElementType)
                throw new ArgumentException(
                    $"Input '{name}': expected element type {info.ElementType}, got {tensor.ElementType}.", nameof(inputs));
            var shape = tensor.ShapeSpan;
            // ORT reports rank 0 both for scalars and for inputs declared without a shape,
            // so a declared rank of 0 is only enforced by the runtime itself.
            if (info.Rank > 0 && shape.Length != info.Rank)
                throw new ArgumentException(
                    $"Input '{name}': expected rank {info.Rank} ({info}), got rank {shape.Length} [{OnnxTensor.Format(tensor.Shape)}].",
                    nameof(inputs));
            for (int d = 0; d < info.Rank && d < shape.Length; d++)
            {
                long declared = info.Dimensions[d];
                if (declared >= 0 && declared != shape[d])
                    throw new ArgumentException(
                        $"Input '{name}': dimension {d} must be {declared} ({info}), got [{OnnxTensor.Format(tensor.Shape)}].",
                        nameof(inputs));
                string symbol = info.SymbolicDimensions[d];
                if (declared < 0 && symbol.Length > 0)
                {
                    if (symbols.TryGetValue(symbol, out var seen) && seen.Size != shape[d])
                        throw new ArgumentException(
                            $"Symbolic dimension '{symbol}' is {seen.Size} in input '{seen.Input}' but {shape[d]} in input '{name}'.",
                            nameof(inputs));
                    symbols[symbol] = (shape[d], name);
                }
            }
        }
        var missing = Inputs.Where(i => !inputs.ContainsKey(i.Name)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"Missing model input(s): {string.Join("; ", missing)}.", nameof(inputs));
    }

    private void ValidateOutputs(string[] outputs)
    {
        var seen = new HashSet<string>();
        foreach (string name in outputs)
        {
            if (name is null || !_outputsByName.ContainsKey(name))
                throw new ArgumentException(
                    $"The model has no output '{name}'. Its outputs are: {string.Join("; ", Outputs)}.", nameof(outputs));
            if (!seen.Add(name)) throw new ArgumentException($"Output '{name}' is requested twice.", nameof(outputs));
        }
    }

    private static OnnxTensorInfo[] ReadInfos(IReadOnlyList<string> names,
        IReadOnlyDictionary<string, Ort.NodeMetadata> metadata, string operation) =>
        OnnxRuntime.Call(operation, () => names.Select(name => ReadInfo(name, metadata[name])).ToArray());

    private static OnnxTensorInfo ReadInfo(string name, Ort.NodeMetadata meta)
    {
        // Sparse tensors count as tensors for ORT's managed API, not for OnnxTensor.
        if (meta.OnnxValueType != Ort.OnnxValueType.ONNX_TYPE_TENSOR)
            return new OnnxTensorInfo(name, false, OnnxElementType.Undefined, [], []);
        long[] dims = meta.Dimensions.Select(d => (long)d).ToArray();
        string[] symbols = meta.SymbolicDimensions.Select(s => s ?? "").ToArray();
        return new OnnxTensorInfo(name, true, (OnnxElementType)meta.ElementDataType, dims, symbols);
    }

    internal static Ort.SessionOptions CreateOptions(OnnxSessionOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads, nameof(options.IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(options.InterOpThreads, nameof(options.InterOpThreads));
        if (!Enum.IsDefined(options.OptimizationLevel))
            throw new ArgumentOutOfRangeException(nameof(options.OptimizationLevel), options.OptimizationLevel,
                $"Unknown graph optimization level; use one of {string.Join(", ", Enum.GetNames<OnnxGraphOptimizationLevel>())}.");
        if (options.CudaDeviceId is int device)
            ArgumentOutOfRangeException.ThrowIfNegative(device, nameof(options.CudaDeviceId));
        OnnxRuntime.EnsureLoaded(); // creates the environment with our logging before ORT makes a default one
        var result = OnnxRuntime.Call("CreateSessionOptions", () => new Ort.SessionOptions());
        try
        {
            OnnxRuntime.Call("SetIntraOpNumThreads", () => result.IntraOpNumThreads = options.IntraOpThreads);
            OnnxRuntime.Call("SetInterOpNumThreads", () => result.InterOpNumThreads = options.InterOpThreads);
            OnnxRuntime.Call("SetSessionGraphOptimizationLevel",
                () => result.GraphOptimizationLevel = (Ort.GraphOptimizationLevel)(int)options.OptimizationLevel);
            OnnxRuntime.Call("SetSessionExecutionMode", () => result.ExecutionMode =
                options.ParallelExecution ? Ort.ExecutionMode.ORT_PARALLEL : Ort.ExecutionMode.ORT_SEQUENTIAL);
            bool spin = options.AllowSpinning ?? Environment.ProcessorCount > 4;
            AddConfig(result, "session.intra_op.allow_spinning", spin ? "1" : "0");
            AddConfig(result, "session.inter_op.allow_spinning", spin ? "1" : "0");
            if (options.QuietErrors)
                OnnxRuntime.Call("SetSessionLogSeverityLevel", () => result.LogSeverityLevel = Ort.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            if (options.ConfigEntries != null)
                foreach (var (key, value) in options.ConfigEntries) AddConfig(result, key, value);
            if (options.CudaDeviceId is int deviceId) AppendCuda(result, deviceId);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static void AddConfig(Ort.SessionOptions options, string key, string value) =>
        OnnxRuntime.Call($"AddSessionConfigEntry('{key}')", () => options.AddSessionConfigEntry(key, value));

    private static void AppendCuda(Ort.SessionOptions options, int deviceId)
    {
        const string Operation = "SessionOptionsAppendExecutionProvider_CUDA";
        var providers = OnnxRuntime.ExecutionProviders;
        if (!providers.Contains(OnnxRuntime.CudaExecutionProvider))
            throw new OnnxRuntimeException(Operation, OnnxErrorCode.NotImplemented,
                $"CUDA was requested (OnnxSessionOptions.CudaDeviceId = {deviceId}) but this is the CPU build of ONNX Runtime " +
                $"{OnnxRuntime.Version} (providers: {string.Join(", ", providers)}). Build with -p:OnnxRuntimeGpu=true " +
                "to use Microsoft.ML.OnnxRuntime.Gpu.Linux (see src/Onnx/README.md), or leave CudaDeviceId null to run on the CPU.");
        OnnxRuntime.Call(Operation, () => options.AppendExecutionProvider_CUDA(deviceId));
    }
}
