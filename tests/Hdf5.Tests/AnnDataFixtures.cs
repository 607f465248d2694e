using System.Text.Json;

namespace MlNetStem.Hdf5.Tests;

/// <summary>
/// .h5ad files written once per test class by the real anndata (Python/make_fixtures.py, fixed seed),
/// with expected.json holding the values they contain.
/// </summary>
public sealed class AnnDataFixtures : IDisposable
{
    private readonly TempDirectory _dir = new();

    public AnnDataFixtures()
    {
        try
        {
            PythonAnnData.Require();
        }
        catch (Exception ex)
        {
            Failure = ex.Message;
            return;
        }
        (int code, string output) = PythonAnnData.Run("make_fixtures.py", _dir.Path);
        if (code != 0)
        {
            Failure = $"make_fixtures.py failed with exit code {code}:\n{output}";
            return;
        }
        Expected = JsonDocument.Parse(System.IO.File.ReadAllText(_dir.File("expected.json"))).RootElement;
    }

    public string? Failure { get; }

    public JsonElement Expected { get; }

    /// <summary>Path of a fixture; fails the test when the fixtures could not be made.</summary>
    public string File(string name)
    {
        if (Failure is not null) Assert.Fail(Failure);
        return _dir.File(name);
    }

    public string[] Strings(string key) => Expected.GetProperty(key).EnumerateArray().Select(e => e.GetString()!).ToArray();

    public string?[] NullableStrings(string key) => Expected.GetProperty(key).EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : e.GetString()).ToArray();

    public double[] Doubles(string key) => Expected.GetProperty(key).EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble()).ToArray();

    public bool[] Bools(string key) => Expected.GetProperty(key).EnumerateArray().Select(e => e.GetBoolean()).ToArray();

    public double[,] Matrix(string key)
    {
        var rows = Expected.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var m = new double[rows.Length, rows.Length == 0 ? 0 : rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) m[i, j] = rows[i][j];
        return m;
    }

    public void Dispose() => _dir.Dispose();
}
