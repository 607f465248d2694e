using MlNetStem.Model;
using MlNetStem.Torch;
using MlNetStem.Torch.Nn;

namespace MlNetStem.Trainers;

/// <summary>Checks the trainers' <c>Load</c> methods share: bounded entry sizes and finite parameters.</summary>
internal static class ModelLoadChecks
{
    /// <summary>
    /// Largest size a state dict of <paramref name="network"/> can have: its tensors' elements at 8 bytes each plus a generous allowance per
    /// entry for the name and shape. Any larger entry is not this network's state (refused before inflating it).
    /// </summary>
    public static long StateDictLimit(Module network)
    {
        long bytes = 0, entries = 0;
        foreach (var (_, tensor) in network.StateEntries())
        {
            bytes = checked(bytes + tensor.Numel * 8);   // 8: the widest element type
            entries++;
        }
        return checked(bytes + entries * 4096 + 4096);
    }

    /// <summary>Refuses NaN or infinite values in <paramref name="values"/>.</summary>
    /// <exception cref="ModelFormatException">Some value is not finite; the message names the component and the entry.</exception>
    public static float[] Finite(float[] values, string component, string entry)
    {
        int bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new ModelFormatException(
                $"{component}: model entry '{entry}' holds a non-finite value ({values[bad]} at index {bad}); the archive is corrupt.");
        return values;
    }

    /// <summary>Refuses NaN or infinite values in any tensor of <paramref name="network"/>'s state.</summary>
    /// <exception cref="ModelFormatException">Some parameter is not finite; the message names the component, entry and tensor.</exception>
    public static void Finite(Module network, string component, string entry)
    {
        foreach (var (name, tensor) in network.StateEntries())
        {
            if (tensor.DType != DType.Float32) continue;
            using var scope = Tensor.NewScope();
            var values = tensor.ToFloatArray();
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new ModelFormatException(
                    $"{component}: model entry '{entry}' holds a non-finite weight ({values[bad]} in '{name}'); the archive is corrupt.");
        }
    }
}
