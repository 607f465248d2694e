using System.Runtime.InteropServices;
using MlNetStem.Onnx.Interop;

namespace MlNetStem.Onnx;

/// <summary>
/// An ONNX Runtime inference session. <c>Run</c> may be called from several threads
/// at once; inputs are checked against the model's declared names, types and shapes before
/// any native call, so bad input raises an <see cref="ArgumentException"/> instead of
/// reaching the runtime.
/// </summary>
public sealed unsafe class OnnxSession : IDisposable
{
    private readonly OrtSessionHandle _handle;
    private readonly Dictionary<string, OnnxTensorInfo> _inputsByName;
    private readonly Dictionary<string, OnnxTensorInfo> _outputsByName;

    private OnnxSession(OrtSessionHandle handle)
    {
        _handle = handle;
        try
        {
            Inputs = ReadInfos(isInput: true);
            Outputs = ReadInfos(isInput: false);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        _inputsByName = Inputs.ToDictionary(i => i.Name);
        _outputsByName = Outputs.ToDictionary(o => o.Name);
    }

    /// <summary>The model's inputs, in declaration order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>The model's outputs, in declaration order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>Loads a model file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxRuntimeException">ORT rejected the model (corrupt, unsupported operator...).</exception>
    /// <exception cref="DllNotFoundException">The ONNX Runtime library is missing; run scripts/setup.sh.</exception>
    public static OnnxSession Load(string path, OnnxSessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"ONNX model '{full}' does not exist.", full);
        using var opts = CreateOptions(options ?? OnnxSessionOptions.Default);
        byte[] utf8 = OrtNative.Utf8(full); // ORTCHAR_T is char (UTF-8) on Linux and macOS
        nint session;
        fixed (byte* p = utf8)
            OrtNative.Check(OrtNative.Api.CreateSession(OrtNative.Env.DangerousGetHandle(), p,
                opts.DangerousGetHandle(), &session), $"CreateSession('{full}')");
        return new OnnxSession(new OrtSessionHandle(session));
    }

    /// <summary>Creates a session from serialized model bytes.</summary>
    /// <exception cref="ArgumentException">The buffer is empty.</exception>
    /// <exception cref="OnnxRuntimeException">ORT rejected the model (corrupt, truncated, unsupported...).</exception>
    /// <exception cref="DllNotFoundException">The ONNX Runtime library is missing; run scripts/setup.sh.</exception>
    public static OnnxSession FromBytes(ReadOnlySpan<byte> model, OnnxSessionOptions? options = null)
    {
        if (model.IsEmpty) throw new ArgumentException("The model buffer is empty.", nameof(model));
        using var opts = CreateOptions(options ?? OnnxSessionOptions.Default);
        nint session;
        fixed (byte* p = model)
            OrtNative.Check(OrtNative.Api.CreateSessionFromArray(OrtNative.Env.DangerousGetHandle(), p,
                (nuint)model.Length, opts.DangerousGetHandle(), &session), "CreateSessionFromArray");
        return new OnnxSession(new OrtSessionHandle(session));
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
    public IReadOnlyDictionary<string, OnnxTensor> Run(IReadOnlyDictionary<string, OnnxTensor> inputs,
        params string[] outputNames) => Run(inputs, outputNames, CancellationToken.None);

    /// <summary>
    /// Runs the model on a batch; cancelling <paramref name="cancellationToken"/> asks ORT to
    /// stop the run (it stops between kernels, so a single long kernel still finishes).
    /// </summary>
    /// <param name="inputs">Every declared input, by name.</param>
    /// <param name="outputNames">Outputs to compute, in the order returned; empty for all.</param>
    /// <param name="cancellationToken">Stops the run when cancelled.</param>
    /// <exception cref="ArgumentException">An input or output does not match the model (see the other overload).</exception>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before or during the run.</exception>
    /// <exception cref="OnnxRuntimeException">The runtime failed while running.</exception>
    public IReadOnlyDictionary<string, OnnxTensor> Run(IReadOnlyDictionary<string, OnnxTensor> inputs,
        IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputNames);
        ValidateInputs(inputs);
        string[] outputs = outputNames.Count == 0 ? Outputs.Select(o => o.Name).ToArray() : outputNames.ToArray();
        ValidateOutputs(outputs);
        cancellationToken.ThrowIfCancellationRequested();

        var ordered = inputs.ToArray();
        int nIn = ordered.Length, nOut = outputs.Length;
        var pins = new GCHandle[nIn];
        var inputValues = new OrtValueHandle?[nIn];
        var outputValues = new OrtValueHandle?[nOut];
        var inputNames = new nint[nIn];
        var outputNamePtrs = new nint[nOut];
        OrtRunOptionsHandle? runOptions = null;
        CancellationTokenRegistration registration = default;
        bool addedRef = false;
        try
        {
            // Keeps the session alive if another thread disposes it mid-run.
            _handle.DangerousAddRef(ref addedRef);
            var rawInputs = new nint[nIn];
            for (int i = 0; i < nIn; i++)
            {
                var (name, tensor) = (ordered[i].Key, ordered[i].Value);
                inputNames[i] = Marshal.StringToCoTaskMemUTF8(name);
                // ORT does not copy the buffer: it stays pinned until the value is released.
                pins[i] = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
                inputValues[i] = CreateValue(tensor, pins[i].AddrOfPinnedObject(), name);
                rawInputs[i] = inputValues[i]!.DangerousGetHandle();
            }
            for (int i = 0; i < nOut; i++) outputNamePtrs[i] = Marshal.StringToCoTaskMemUTF8(outputs[i]);

            if (cancellationToken.CanBeCanceled)
            {
                nint raw;
                OrtNative.Check(OrtNative.Api.CreateRunOptions(&raw), "CreateRunOptions");
                runOptions = new OrtRunOptionsHandle(raw);
                var options = runOptions;
                // Runs on the cancelling thread: it must not throw there, so a failure to set
                // the flag is dropped and the run simply completes.
                registration = cancellationToken.Register(() =>
                {
                    nint st = OrtNative.Api.RunOptionsSetTerminate(options.DangerousGetHandle());
                    if (st != 0) OrtNative.Api.ReleaseStatus(st);
                });
            }

            var rawOutputs = new nint[nOut]; // all NULL: ORT allocates the outputs
            nint status;
            fixed (nint* pInNames = inputNames, pIn = rawInputs, pOutNames = outputNamePtrs, pOut = rawOutputs)
            {
                status = OrtNative.Api.Run(_handle.DangerousGetHandle(), runOptions?.DangerousGetHandle() ?? 0,
                    pInNames, pIn, (nuint)nIn, pOutNames, (nuint)nOut, pOut);
            }
            for (int i = 0; i < nOut; i++)
                if (rawOutputs[i] != 0) outputValues[i] = new OrtValueHandle(rawOutputs[i]);
            if (status != 0 && cancellationToken.IsCancellationRequested)
            {
                OrtNative.Api.ReleaseStatus(status);
                throw new OperationCanceledException("The ONNX Runtime run was cancelled.", cancellationToken);
            }
            OrtNative.Check(status, "Run");

            var result = new Dictionary<string, OnnxTensor>(nOut);
            for (int i = 0; i < nOut; i++) result[outputs[i]] = CopyOut(outputValues[i]!.DangerousGetHandle(), outputs[i]);
            return result;
        }
        finally
        {
            registration.Dispose(); // waits for a callback in flight, so runOptions outlives it
            runOptions?.Dispose();
            foreach (var v in outputValues) v?.Dispose();
            foreach (var v in inputValues) v?.Dispose();
            foreach (var pin in pins) if (pin.IsAllocated) pin.Free();
            foreach (nint p in inputNames) Marshal.FreeCoTaskMem(p);
            foreach (nint p in outputNamePtrs) Marshal.FreeCoTaskMem(p);
            if (addedRef) _handle.DangerousRelease();
        }
    }

    /// <summary>Releases the native session. Runs already in progress finish first.</summary>
    public void Dispose() => _handle.Dispose();

    private static OrtValueHandle CreateValue(OnnxTensor tensor, nint data, string name)
    {
        ReadOnlySpan<long> shape = tensor.ShapeSpan;
        nuint bytes = (nuint)(tensor.ElementCount * OnnxTensor.ElementSize(tensor.ElementType));
        // ORT rejects a NULL data pointer even for empty tensors; any valid address will do.
        long dummy = 0;
        void* p = data == 0 ? &dummy : (void*)data;
        nint value;
        fixed (long* pShape = shape)
            OrtNative.Check(OrtNative.Api.CreateTensorWithDataAsOrtValue(OrtNative.CpuMemory.DangerousGetHandle(),
                p, bytes, pShape, (nuint)shape.Length, (int)tensor.ElementType, &value),
                $"CreateTensorWithDataAsOrtValue('{name}')");
        return new OrtValueHandle(value);
    }

    private static OnnxTensor CopyOut(nint value, string name)
    {
        var api = OrtNative.Api;
        nint info;
        OrtNative.Check(api.GetTensorTypeAndShape(value, &info), $"GetTensorTypeAndShape('{name}')");
        using var infoHandle = new OrtTensorTypeAndShapeInfoHandle(info);
        int type;
        nuint rank, count;
        OrtNative.Check(api.GetTensorElementType(info, &type), "GetTensorElementType");
        OrtNative.Check(api.GetDimensionsCount(info, &rank), "GetDimensionsCount");
        var shape = new long[(int)rank];
        fixed (long* pShape = shape)
            OrtNative.Check(api.GetDimensions(info, pShape, rank), "GetDimensions");
        OrtNative.Check(api.GetTensorShapeElementCount(info, &count), "GetTensorShapeElementCount");

        var elementType = (OnnxElementType)type;
        Array data = OnnxTensor.NewArray(elementType, (long)count);
        if (count > 0)
        {
            void* src;
            OrtNative.Check(api.GetTensorMutableData(value, &src), "GetTensorMutableData");
            long bytes = (long)count * OnnxTensor.ElementSize(elementType);
            var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
            try
            {
                Buffer.MemoryCopy(src, (void*)pin.AddrOfPinnedObject(), bytes, bytes);
            }
            finally
            {
                pin.Free();
            }
        }
        return OnnxTensor.Wrap(data, shape, elementType);
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

    private IReadOnlyList<OnnxTensorInfo> ReadInfos(bool isInput)
    {
        var api = OrtNative.Api;
        nint session = _handle.DangerousGetHandle();
        nuint count;
        OrtNative.Check(isInput ? api.SessionGetInputCount(session, &count) : api.SessionGetOutputCount(session, &count),
            isInput ? "SessionGetInputCount" : "SessionGetOutputCount");
        var infos = new OnnxTensorInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* namePtr;
            OrtNative.Check(isInput
                ? api.SessionGetInputName(session, i, OrtNative.DefaultAllocator, &namePtr)
                : api.SessionGetOutputName(session, i, OrtNative.DefaultAllocator, &namePtr),
                isInput ? "SessionGetInputName" : "SessionGetOutputName");
            string name = OrtNative.TakeAllocatedString(namePtr);
            nint typeInfo;
            OrtNative.Check(isInput
                ? api.SessionGetInputTypeInfo(session, i, &typeInfo)
                : api.SessionGetOutputTypeInfo(session, i, &typeInfo),
                isInput ? "SessionGetInputTypeInfo" : "SessionGetOutputTypeInfo");
            using var typeInfoHandle = new OrtTypeInfoHandle(typeInfo);
            infos[(int)i] = ReadInfo(name, typeInfo);
        }
        return infos;
    }

    private static OnnxTensorInfo ReadInfo(string name, nint typeInfo)
    {
        var api = OrtNative.Api;
        int onnxType;
        OrtNative.Check(api.GetOnnxTypeFromTypeInfo(typeInfo, &onnxType), "GetOnnxTypeFromTypeInfo");
        const int OnnxTypeTensor = 1;
        if (onnxType != OnnxTypeTensor)
            return new OnnxTensorInfo(name, false, OnnxElementType.Undefined, [], []);
        nint tensorInfo; // owned by typeInfo
        OrtNative.Check(api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), "CastTypeInfoToTensorInfo");
        int type;
        nuint rank;
        OrtNative.Check(api.GetTensorElementType(tensorInfo, &type), "GetTensorElementType");
        OrtNative.Check(api.GetDimensionsCount(tensorInfo, &rank), "GetDimensionsCount");
        var dims = new long[(int)rank];
        var symbolPtrs = new nint[(int)rank];
        fixed (long* pDims = dims)
        fixed (nint* pSymbols = symbolPtrs)
        {
            OrtNative.Check(api.GetDimensions(tensorInfo, pDims, rank), "GetDimensions");
            OrtNative.Check(api.GetSymbolicDimensions(tensorInfo, (byte**)pSymbols, rank), "GetSymbolicDimensions");
        }
        var symbols = symbolPtrs.Select(p => p == 0 ? "" : Marshal.PtrToStringUTF8(p) ?? "").ToArray();
        return new OnnxTensorInfo(name, true, (OnnxElementType)type, dims, symbols);
    }

    private static OrtSessionOptionsHandle CreateOptions(OnnxSessionOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads, nameof(options.IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(options.InterOpThreads, nameof(options.InterOpThreads));
        var api = OrtNative.Api;
        nint raw;
        OrtNative.Check(api.CreateSessionOptions(&raw), "CreateSessionOptions");
        var handle = new OrtSessionOptionsHandle(raw);
        try
        {
            OrtNative.Check(api.SetIntraOpNumThreads(raw, options.IntraOpThreads), "SetIntraOpNumThreads");
            OrtNative.Check(api.SetInterOpNumThreads(raw, options.InterOpThreads), "SetInterOpNumThreads");
            OrtNative.Check(api.SetSessionGraphOptimizationLevel(raw, (int)options.OptimizationLevel),
                "SetSessionGraphOptimizationLevel");
            OrtNative.Check(api.SetSessionExecutionMode(raw, options.ParallelExecution ? 1 : 0), "SetSessionExecutionMode");
            bool spin = options.AllowSpinning ?? Environment.ProcessorCount > 4;
            AddConfig(raw, "session.intra_op.allow_spinning", spin ? "1" : "0");
            AddConfig(raw, "session.inter_op.allow_spinning", spin ? "1" : "0");
            if (options.ConfigEntries != null)
                foreach (var (key, value) in options.ConfigEntries) AddConfig(raw, key, value);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void AddConfig(nint options, string key, string value)
    {
        fixed (byte* k = OrtNative.Utf8(key))
        fixed (byte* v = OrtNative.Utf8(value))
            OrtNative.Check(OrtNative.Api.AddSessionConfigEntry(options, k, v), $"AddSessionConfigEntry('{key}')");
    }
}
