namespace MlNetStem.Onnx.Interop;

/// <summary>
/// The slice of ONNX Runtime's <c>OrtApi</c> function table that this binding calls.
/// The table is append-only, so a slot index read from onnxruntime_c_api.h stays valid in
/// every later release. Opaque ORT objects travel as <see cref="nint"/>; every function
/// typed as returning <see cref="nint"/> returns an <c>OrtStatus*</c> (NULL on success)
/// unless noted.
/// </summary>
internal sealed unsafe class OrtApi
{
    // Oldest API version whose table holds every slot below (AddSessionConfigEntry, 130, is
    // the newest). Asking for an old version keeps older and GPU builds of the library usable.
    internal const uint RequiredApiVersion = 16;

    public readonly delegate* unmanaged<nint, int> GetErrorCode;                       // 1
    public readonly delegate* unmanaged<nint, byte*> GetErrorMessage;                  // 2
    public readonly delegate* unmanaged<int, byte*, nint*, nint> CreateEnv;            // 3
    public readonly delegate* unmanaged<nint, byte*, nint, nint*, nint> CreateSession; // 7
    public readonly delegate* unmanaged<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray; // 8
    public readonly delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run; // 9
    public readonly delegate* unmanaged<nint*, nint> CreateSessionOptions;             // 10
    public readonly delegate* unmanaged<nint, int, nint> SetSessionExecutionMode;      // 13
    public readonly delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel; // 23
    public readonly delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;         // 24
    public readonly delegate* unmanaged<nint, int, nint> SetInterOpNumThreads;         // 25
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;      // 30
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;     // 31
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo;  // 33
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo; // 34
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName;  // 36
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName; // 37
    public readonly delegate* unmanaged<nint*, nint> CreateRunOptions;                 // 39
    public readonly delegate* unmanaged<nint, nint> RunOptionsSetTerminate;            // 46
    public readonly delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue; // 49
    public readonly delegate* unmanaged<nint, void**, nint> GetTensorMutableData;      // 51
    public readonly delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo;   // 55 (result owned by the type info)
    public readonly delegate* unmanaged<nint, int*, nint> GetOnnxTypeFromTypeInfo;     // 56
    public readonly delegate* unmanaged<nint, int*, nint> GetTensorElementType;        // 60
    public readonly delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;        // 61
    public readonly delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;       // 62
    public readonly delegate* unmanaged<nint, byte**, nuint, nint> GetSymbolicDimensions; // 63
    public readonly delegate* unmanaged<nint, nuint*, nint> GetTensorShapeElementCount; // 64
    public readonly delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape;      // 65
    public readonly delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo;    // 69
    public readonly delegate* unmanaged<nint, void*, nint> AllocatorFree;              // 76
    public readonly delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;   // 78
    public readonly delegate* unmanaged<nint, void> ReleaseEnv;                        // 92
    public readonly delegate* unmanaged<nint, void> ReleaseStatus;                     // 93
    public readonly delegate* unmanaged<nint, void> ReleaseMemoryInfo;                 // 94
    public readonly delegate* unmanaged<nint, void> ReleaseSession;                    // 95
    public readonly delegate* unmanaged<nint, void> ReleaseValue;                      // 96
    public readonly delegate* unmanaged<nint, void> ReleaseRunOptions;                 // 97
    public readonly delegate* unmanaged<nint, void> ReleaseTypeInfo;                   // 98
    public readonly delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo;     // 99
    public readonly delegate* unmanaged<nint, void> ReleaseSessionOptions;             // 100
    public readonly delegate* unmanaged<nint, byte*, byte*, nint> AddSessionConfigEntry; // 130

    /// <summary>Reads the slots from a table returned by <c>OrtApiBase::GetApi</c>.</summary>
    public OrtApi(void** table)
    {
        GetErrorCode = (delegate* unmanaged<nint, int>)table[1];
        GetErrorMessage = (delegate* unmanaged<nint, byte*>)table[2];
        CreateEnv = (delegate* unmanaged<int, byte*, nint*, nint>)table[3];
        CreateSession = (delegate* unmanaged<nint, byte*, nint, nint*, nint>)table[7];
        CreateSessionFromArray = (delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)table[8];
        Run = (delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)table[9];
        CreateSessionOptions = (delegate* unmanaged<nint*, nint>)table[10];
        SetSessionExecutionMode = (delegate* unmanaged<nint, int, nint>)table[13];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)table[23];
        SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)table[24];
        SetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)table[25];
        SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)table[30];
        SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)table[31];
        SessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)table[33];
        SessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)table[34];
        SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)table[36];
        SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)table[37];
        CreateRunOptions = (delegate* unmanaged<nint*, nint>)table[39];
        RunOptionsSetTerminate = (delegate* unmanaged<nint, nint>)table[46];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)table[49];
        GetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)table[51];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)table[55];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<nint, int*, nint>)table[56];
        GetTensorElementType = (delegate* unmanaged<nint, int*, nint>)table[60];
        GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)table[61];
        GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)table[62];
        GetSymbolicDimensions = (delegate* unmanaged<nint, byte**, nuint, nint>)table[63];
        GetTensorShapeElementCount = (delegate* unmanaged<nint, nuint*, nint>)table[64];
        GetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)table[65];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)table[69];
        AllocatorFree = (delegate* unmanaged<nint, void*, nint>)table[76];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)table[78];
        ReleaseEnv = (delegate* unmanaged<nint, void>)table[92];
        ReleaseStatus = (delegate* unmanaged<nint, void>)table[93];
        ReleaseMemoryInfo = (delegate* unmanaged<nint, void>)table[94];
        ReleaseSession = (delegate* unmanaged<nint, void>)table[95];
        ReleaseValue = (delegate* unmanaged<nint, void>)table[96];
        ReleaseRunOptions = (delegate* unmanaged<nint, void>)table[97];
        ReleaseTypeInfo = (delegate* unmanaged<nint, void>)table[98];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)table[99];
        ReleaseSessionOptions = (delegate* unmanaged<nint, void>)table[100];
        AddSessionConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)table[130];
    }
}
