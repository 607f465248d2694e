namespace MlNetStem.AnnData;

/// <summary>The encoding-type / encoding-version attribute values anndata 0.8 writes and reads.</summary>
internal static class H5adEncoding
{
    public const string TypeAttribute = "encoding-type";
    public const string VersionAttribute = "encoding-version";

    public const string AnnData = "anndata";
    public const string Dict = "dict";
    public const string DataFrame = "dataframe";
    public const string Array = "array";
    public const string Csr = "csr_matrix";
    public const string Csc = "csc_matrix";
    public const string Categorical = "categorical";
    public const string StringArray = "string-array";
    public const string String = "string";
    public const string NumericScalar = "numeric-scalar";
    public const string NullableInteger = "nullable-integer";
    public const string NullableBoolean = "nullable-boolean";

    /// <summary>Version anndata 0.8 writes for each encoding type.</summary>
    public static string VersionOf(string type) => type switch
    {
        AnnData or Dict or Csr or Csc or NullableInteger or NullableBoolean => "0.1.0",
        _ => "0.2.0",
    };
}
