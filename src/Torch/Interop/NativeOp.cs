namespace MlNetStem.Torch.Interop;

/// <summary>Operation codes of the shim's dispatching entry points (values mirror the C enums).</summary>
internal static class NativeOp
{
    internal const int Neg = 0, Exp = 1, Log = 2, Sin = 3, Cos = 4, Sqrt = 5, Silu = 6, GeluTanh = 7,
        Relu = 8, Tanh = 9, Sigmoid = 10, Abs = 11, Detach = 12, Clone = 13, Contiguous = 14, Gelu = 15,
        Rsqrt = 16, Square = 17;

    internal const int Add = 0, Sub = 1, Mul = 2, Div = 3, Pow = 4, Matmul = 5, MseLoss = 6, Gt = 7,
        Lt = 8, Ge = 9, Le = 10, Eq = 11, Maximum = 12, Minimum = 13;

    internal const int AddS = 0, SubS = 1, MulS = 2, DivS = 3, PowS = 4, RSubS = 5, RDivS = 6;

    internal const int Sum = 0, Mean = 1;
}
