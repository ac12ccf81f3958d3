public enum WeftCoreX {}
