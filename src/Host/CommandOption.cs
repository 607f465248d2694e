namespace MlNetStem.Host;

/// <summary>One option a command accepts.</summary>
/// <param name="Name">Long name without dashes, e.g. "model".</param>
/// <param name="Help">One-line description for --help.</param>
/// <param name="ValueName">Placeholder for the value; null for a flag.</param>
/// <param name="Default">Default shown in --help.</param>
public sealed record CommandOption(string Name, string Help, string? ValueName = "VALUE", string? Default = null);
